import { Simulation } from "../scheduler/simulation.js";

/**
 * The process's default simulation, shared by both drop-in facades: every amqplib `connect()` and
 * every kafkajs `new Kafka()` that names no `simulation` lives on it. Real applications open many
 * clients from many modules (a producer module and a consumer module each creating their own
 * `Kafka`, a publisher and a worker each calling `connect()`); against real servers they all meet
 * on the same brokers, so here they all meet on one simulation, one virtual clock, one RabbitMQ
 * broker per virtual host and one Kafka cluster.
 *
 * The slot is module state: one per loaded copy of brokerlab. Test runners that isolate modules
 * per test file (vitest and jest by default) therefore give each test file its own default.
 */

let current: Simulation | null = null;

/**
 * The shared default simulation, created on first use in `auto` drive mode (seed 1, start
 * 2025-01-01T00:00:00Z). A closed default (`sim.close()`) is replaced by a fresh one on the next
 * call.
 *
 * @example
 * ```ts
 * import { defaultSimulation } from "brokerlab/kafkajs";
 * const kafka = new Kafka({ brokers: ["kafka:9092"] });
 * kafka.simulation === defaultSimulation(); // true
 * ```
 */
export function defaultSimulation(): Simulation {
  if (current === null || current.isClosed) current = new Simulation({ drive: "auto" });
  return current;
}

/**
 * Forgets the default simulation, so the next client without a `simulation` starts on a fresh
 * one: empty brokers, no topics, no groups, the clock back at the default start. For test suites
 * (call it in `beforeEach` or `afterEach`).
 *
 * Clients still open on the old default are not touched: they keep working on the old simulation,
 * which is simply no longer the default (its auto runner keeps driving them, and parks when only
 * background work such as heartbeats is left). New clients never meet them. The old simulation is
 * returned so a suite can close it (`resetDefaultSimulation()?.close()`), which stops its runner:
 * anything still awaiting on it then waits forever, so disconnect first.
 *
 * @returns the simulation that was the default, or `null` if none had been created.
 *
 * @example
 * ```ts
 * afterEach(async () => {
 *   await consumer.disconnect();
 *   resetDefaultSimulation();
 * });
 * ```
 */
export function resetDefaultSimulation(): Simulation | null {
  const previous = current;
  current = null;
  return previous;
}
