import { LogCluster, type LogClusterOptions } from "../../src/log/cluster.js";
import { Simulation } from "../../src/scheduler/simulation.js";

/** A simulation and a cluster with test-friendly broker settings (no initial rebalance delay). */
export function setup(options: LogClusterOptions = {}, seed: number | string = 1) {
  const sim = new Simulation({ start: 0, seed });
  const cluster = new LogCluster(sim, {
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 0,
    ...options,
  });
  return { sim, cluster };
}

/** Fast group timings for tests. */
export const FAST = { sessionTimeoutMs: 3000, heartbeatIntervalMs: 500, maxPollIntervalMs: 10_000 } as const;

/** Sends and waits for every record (drives the simulation). */
export async function produceAll(
  sim: Simulation,
  cluster: LogCluster,
  topic: string,
  values: unknown[],
  extra: { key?: (i: number) => string | null; partition?: number } = {},
) {
  const producer = cluster.producer();
  const acks = values.map((value, i) =>
    producer.send({
      topic,
      value,
      key: extra.key ? extra.key(i) : null,
      ...(extra.partition === undefined ? {} : { partition: extra.partition }),
    }),
  );
  await sim.run();
  const result = await Promise.all(acks);
  await producer.close();
  return result;
}
