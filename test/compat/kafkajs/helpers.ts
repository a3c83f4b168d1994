import { expect } from "vitest";
import {
  KAFKAJS_CLUSTER_DEFAULTS,
  Kafka,
  type KafkaConfig,
  KafkaJSNonRetriableError,
  logLevel,
} from "../../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../../src/log/cluster.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

/** A quiet Kafka facade on its own simulation (auto-driven unless `simulation` is given). */
export function quietKafka(options: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({ clientId: "test", brokers: ["localhost:9092"], logLevel: logLevel.NOTHING, ...options });
}

/** A manual simulation with a kafkajs-facing cluster of `partitions` partitions per auto-created topic. */
export function manualWorld(partitions = 1, seed: number | string = 1) {
  const sim = new Simulation({ start: 0, seed });
  const cluster = new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS, defaultPartitions: partitions });
  const kafka = quietKafka({ simulation: sim, cluster });
  return { sim, cluster, kafka };
}

/** Awaits `promise` while driving a manual simulation in steps of `stepMs` (up to `limitMs`). */
export async function drive<T>(
  sim: Simulation,
  promise: Promise<T>,
  limitMs = 120_000,
  stepMs = 10,
): Promise<T> {
  let done = false;
  let value: T | undefined;
  let failure: unknown = null;
  promise.then(
    (v) => {
      done = true;
      value = v;
    },
    (e: unknown) => {
      done = true;
      failure = e ?? new Error("rejected");
    },
  );
  const until = sim.now + limitMs;
  while (!done && sim.now < until) await sim.runFor(stepMs);
  if (!done) throw new Error(`not settled after ${limitMs} virtual ms`);
  if (failure !== null) throw failure;
  return value as T;
}

/** Polls `predicate` on the virtual clock (auto mode) until it holds. */
export async function eventually(
  sim: Simulation,
  predicate: () => boolean,
  what: string,
  limitMs = 60_000,
): Promise<void> {
  const until = sim.now + limitMs;
  while (!predicate()) {
    if (sim.now >= until) throw new Error(`timed out waiting for ${what}`);
    await sim.sleep(50);
  }
}

/** Runs `fn`, expecting a kafkajs-shaped refusal with brokerlab's stable code. */
export async function refusal(fn: () => unknown): Promise<KafkaJSNonRetriableError> {
  let error: unknown = null;
  try {
    await fn();
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(KafkaJSNonRetriableError);
  expect(typeof (error as KafkaJSNonRetriableError).brokerlabCode).toBe("string");
  return error as KafkaJSNonRetriableError;
}
