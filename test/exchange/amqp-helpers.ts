/**
 * Shared helpers for the RabbitMQ-model tests: a simulation with a broker, a connection and a
 * channel; draining a queue with `get`; recording bus events.
 */
import { AmqpBroker, type AmqpBrokerOptions } from "../../src/exchange/broker.js";
import type { AmqpChannel } from "../../src/exchange/channel.js";
import type { Delivery } from "../../src/queue/delivery.js";
import type { BrokerlabEvents, EventType } from "../../src/scheduler/event-bus.js";
import { Simulation } from "../../src/scheduler/simulation.js";

export function setup(options?: AmqpBrokerOptions, seed = 1) {
  const sim = new Simulation({ start: 0, seed });
  const broker = new AmqpBroker(sim, options);
  const connection = broker.connect();
  const channel = connection.channel();
  return { sim, broker, connection, channel };
}

/** Gets every ready message of `queue` on `channel` (acking each unless `keep`), returning the deliveries. */
export function drainDeliveries(channel: AmqpChannel, queue: string, keep = false): Delivery[] {
  const out: Delivery[] = [];
  for (;;) {
    const delivery = channel.get(queue);
    if (delivery === null) return out;
    out.push(delivery);
    if (!keep) delivery.ack();
  }
}

/** Contents of every ready message of `queue`, acked. */
export function drain(channel: AmqpChannel, queue: string): unknown[] {
  return drainDeliveries(channel, queue).map((d) => d.content);
}

/** Records events of the given types, in emission order, as `[type, payload]` pairs. */
export function recordEvents<K extends EventType>(
  sim: Simulation,
  types: readonly K[],
): Array<{ type: K; payload: BrokerlabEvents[K] }> {
  const out: Array<{ type: K; payload: BrokerlabEvents[K] }> = [];
  for (const type of types) sim.bus.on(type, (payload) => out.push({ type, payload }));
  return out;
}

/** The x-death entries without `time`, for comparisons. */
export function deaths(delivery: Delivery): unknown[] {
  const value = delivery.headers?.["x-death"];
  if (!Array.isArray(value)) return [];
  return value.map((entry) => {
    const { time: _time, ...rest } = entry as Record<string, unknown>;
    return rest;
  });
}
