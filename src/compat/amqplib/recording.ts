import type { Delivery } from "../../queue/delivery.js";
import type { Simulation } from "../../scheduler/simulation.js";
import { emitStep, processName, recording } from "../../semantics/record.js";

/**
 * History recording for the amqplib facade (issue 9), called only when `recording(sim)` said yes.
 * Message identity is the `messageId` property; a publish without one gets `<connection>-<n>`
 * (counted per simulation and connection name) on a copy of its options, and the broker keeps
 * properties through redeliveries and dead-lettering, so the id follows the message.
 */

export { recording };

const counters = new WeakMap<Simulation, Map<string, number>>();

/** A fresh message id for a connection. */
export function assignId(sim: Simulation, prefix: string): string {
  let map = counters.get(sim);
  if (map === undefined) counters.set(sim, (map = new Map()));
  const n = (map.get(prefix) ?? 0) + 1;
  map.set(prefix, n);
  return `${prefix}-${n}`;
}

/** Records a publish: invoke, then ok (the broker took it) or fail (refused at once). */
export function published(
  sim: Simulation,
  client: string,
  id: string,
  exchange: string,
  routingKey: string,
  outcome: "ok" | "fail" | "info",
): void {
  const process = processName(sim, client);
  const value = { id, exchange, key: routingKey };
  emitStep(sim, process, "invoke", "send", value);
  emitStep(sim, process, outcome, "send", value);
}

function idOf(delivery: Delivery): string {
  const id = (delivery.properties as { messageId?: unknown } | undefined)?.messageId;
  return typeof id === "string" ? id : `${delivery.queue}#${delivery.deliveryTag}`;
}

/** Records a delivery (consume or basic.get) handed to the application. */
export function delivered(sim: Simulation, client: string, delivery: Delivery): void {
  const process = processName(sim, client);
  const value = {
    id: idOf(delivery),
    queue: delivery.queue,
    redelivered: delivery.redelivered,
    tag: delivery.deliveryTag,
  };
  emitStep(sim, process, "invoke", "receive", value);
  emitStep(sim, process, "ok", "receive", value);
}

/** Records an ack, nack or reject of one message (by its properties' id). */
export function settled(
  sim: Simulation,
  client: string,
  f: "ack" | "nack",
  message: { properties?: { messageId?: unknown }; fields?: { deliveryTag?: unknown } },
  extra: Record<string, unknown>,
): void {
  const process = processName(sim, client);
  const id = message.properties?.messageId;
  const value = { ...(typeof id === "string" ? { id } : {}), tag: message.fields?.deliveryTag, ...extra };
  emitStep(sim, process, "invoke", f, value);
  emitStep(sim, process, "ok", f, value);
}
