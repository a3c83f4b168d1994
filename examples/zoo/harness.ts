// Shared scaffolding of the zoo: a log cluster behind the kafkajs facade on the scenario's
// simulation, one `Kafka` per application process (its clientId is the process name, so the
// facade's history operations carry the process's name), a producer that writes the input, and
// the entry type every zoo module exports.

import type { CheckOptions, FaultSpace, Scenario, ScenarioContext } from "brokerlab";
import { LogCluster } from "brokerlab";
import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "brokerlab/kafkajs";

/** One zoo exhibit: a classic delivery bug, its fix, and what exploration should find. */
export interface ZooEntry {
  readonly name: string;
  /** The bug, in one sentence. */
  readonly bug: string;
  /** The fix, in one sentence. */
  readonly fix: string;
  readonly expect: CheckOptions;
  readonly faults: FaultSpace;
  readonly buggy: Scenario;
  readonly fixed: Scenario;
  /** Runs to try on the buggy version before giving up (default 200). */
  readonly runs?: number;
}

/** Consumer settings the zoo uses: short sessions so crashed members are replaced quickly. */
export const FAST_GROUP = {
  sessionTimeout: 3000,
  heartbeatInterval: 500,
  rebalanceTimeout: 6000,
  maxWaitTimeInMs: 500,
} as const;

/** A cluster on the scenario's simulation, its topics created, the plan's network faults installed. */
export function logWorld(ctx: ScenarioContext, topics: readonly string[], partitions = 1) {
  const cluster = new LogCluster(ctx.sim, {
    ...KAFKAJS_CLUSTER_DEFAULTS,
    defaultPartitions: partitions,
    groupInitialRebalanceDelayMs: 0,
    groupMinSessionTimeoutMs: 1000,
  });
  for (const topic of topics) cluster.createTopic(topic);
  ctx.faults.attachLog(cluster);
  const kafka = (clientId: string) =>
    new Kafka({
      clientId,
      brokers: ["broker:9092"],
      simulation: ctx.sim,
      cluster,
      logLevel: logLevel.NOTHING,
    });
  return { cluster, kafka };
}

/**
 * Writes `count` messages to `topic` from a `producer` process, one send each, with ids
 * `m0`, `m1`, … and keys from `keyOf`. Sends that fail after kafkajs' retries are left failed
 * (their history says so).
 */
export async function produceInput(
  kafka: (clientId: string) => Kafka,
  topic: string,
  count: number,
  options: { keyOf?: (i: number) => string; gapMs?: number; sim?: ScenarioContext["sim"] } = {},
): Promise<void> {
  const producer = kafka("producer").producer();
  await producer.connect();
  for (let i = 0; i < count; i++) {
    const key = options.keyOf?.(i) ?? `k${i % 3}`;
    await producer
      .send({ topic, messages: [{ key, value: `payload-${i}`, headers: { id: `m${i}` } }] })
      .catch(() => undefined);
    if (options.gapMs !== undefined && options.sim !== undefined) await options.sim.sleep(options.gapMs);
  }
}

/** The id header of a kafkajs message. */
export function idOf(message: { headers?: Record<string, unknown> }): string {
  const raw = message.headers?.id;
  return raw === undefined ? "?" : String(raw);
}
