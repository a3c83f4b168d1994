import type { LogCluster, LogClusterOptions } from "../../src/log/cluster.js";
import type { TransactionProtocol } from "../../src/log/transaction-state.js";
import type { Simulation } from "../../src/scheduler/simulation.js";
import { setup } from "./helpers.js";

/** A cluster with one-millisecond latency for transaction tests. */
export function txnSetup(protocol: TransactionProtocol, options: LogClusterOptions = {}, seed = 1) {
  return setup({ requestLatencyMs: 1, transactionProtocol: protocol, ...options }, seed);
}

/**
 * Runs an async scenario inside the simulation (so its awaits on broker replies are served) and
 * returns what it returned; an exception inside fails the run.
 */
export async function drive<T>(sim: Simulation, scenario: () => Promise<T>): Promise<T> {
  let result: { value: T } | null = null;
  sim.after(0, async () => {
    result = { value: await scenario() };
  });
  await sim.run();
  if (result === null) throw new Error("the scenario did not finish (a promise never settled)");
  return (result as { value: T }).value;
}

/** Values a read_committed reader sees in a partition, from the log start. */
export function committedValues(cluster: LogCluster, topic: string, partition = 0): unknown[] {
  return cluster
    .fetch(topic, partition, cluster.partition(topic, partition).logStartOffset, {
      isolationLevel: "read_committed",
    })
    .map((r) => r.value);
}

/** Values a read_uncommitted reader sees in a partition. */
export function allValues(cluster: LogCluster, topic: string, partition = 0): unknown[] {
  return cluster
    .fetch(topic, partition, cluster.partition(topic, partition).logStartOffset)
    .map((r) => r.value);
}

/** The outcome of a call returning a promise: the error code (thrown at once or rejected), or "ok". */
export async function outcome(call: Promise<unknown> | (() => Promise<unknown> | unknown)): Promise<string> {
  try {
    await (typeof call === "function" ? call() : call);
    return "ok";
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

/** Both protocols, for `describe.each`. */
export const PROTOCOLS: TransactionProtocol[] = ["v1", "v2"];
