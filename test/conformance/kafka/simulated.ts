/**
 * The simulated side of the Kafka conformance suite: contexts whose clients are brokerlab's
 * kafkajs facade (`brokerlab/kafkajs`, src/compat/kafkajs) on a fresh simulation per scenario.
 *
 * Configuration, matched to what the golden files encode:
 * - Auto-created topics get 4 partitions, as librdkafka's mock creates them (Kafka's
 *   `num.partitions` default is 1; the facade's default too). This is the one setting changed
 *   from the facade's defaults, and it is a property of the mock, not of Kafka.
 * - The simulation drives itself (`drive: "auto"`) and `ctx.sleep` is virtual time, so a scenario
 *   that waits 20 s on the real broker takes milliseconds here. The seed is the scenario's name.
 * - Names need no run-specific suffix (every scenario gets its own cluster), so `ctx.name(base)`
 *   returns `base` itself.
 * - Retry settings are the real side's, so retries and crash restarts take the same virtual time.
 */

import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "../../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../../src/log/cluster.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import type { KafkaLike } from "./context.js";
import type { ContextFactory, ContextHandle } from "./runner.js";

/** Partitions of auto-created topics on librdkafka's mock cluster. */
export const MOCK_AUTO_CREATED_PARTITIONS = 4;

/** The real side's retry settings (real.ts). */
const RETRY = { initialRetryTime: 100, maxRetryTime: 2000, retries: 8 };

type Client = { disconnect(): Promise<void> };

/** A context factory for brokerlab's kafkajs facade, one simulated cluster per scenario run. */
export function simulatedContextFactory(): ContextFactory {
  return (scenario): ContextHandle => {
    const sim = new Simulation({ start: 0, seed: scenario.name, drive: "auto" });
    const cluster = new LogCluster(sim, {
      ...KAFKAJS_CLUSTER_DEFAULTS,
      defaultPartitions: MOCK_AUTO_CREATED_PARTITIONS,
    });
    const names = new Map<string, string>();
    const consumers: Client[] = [];
    const others: Client[] = [];
    return {
      context: {
        kafka(clientId = `conformance-${scenario.name}`): KafkaLike {
          const kafka = new Kafka({
            clientId,
            brokers: ["127.0.0.1:9092"],
            simulation: sim,
            cluster,
            logLevel: logLevel.NOTHING,
            retry: RETRY,
          });
          // The facade's clients are assignable to kafkajs' declared types (checked in
          // test/compat/kafkajs/shapes.test.ts), so no cast is needed here.
          return {
            producer: (config) => {
              const p = kafka.producer(config);
              others.push(p);
              return p;
            },
            consumer: (config) => {
              const c = kafka.consumer({ retry: RETRY, ...config });
              consumers.push(c);
              return c;
            },
            admin: (config) => {
              const a = kafka.admin(config);
              others.push(a);
              return a;
            },
          };
        },
        sleep: (ms) => sim.sleep(ms),
        name(base) {
          if (names.has(base)) throw new Error(`name base ${base} used twice in one run`);
          names.set(base, base);
          return base;
        },
      },
      names: () => names,
      async dispose() {
        // Consumers first, so they leave their groups while admins and producers still work.
        for (const client of [...consumers, ...others]) await client.disconnect().catch(() => {});
        cluster.close();
        sim.close();
      },
    };
  };
}
