// The zoo's RabbitMQ side: a broker on the scenario's simulation and amqplib-shaped connections
// named after the application process that opens them (the facade records history under that
// name), plus a publisher that writes the input with message ids m0, m1, ….

import type { ScenarioContext } from "brokerlab";
import { AmqpBroker } from "brokerlab";
import amqp from "brokerlab/amqplib";

export function amqpWorld(ctx: ScenarioContext) {
  const broker = new AmqpBroker(ctx.sim);
  // The plan's network faults (publish, confirm, ack, basic.get, partitions, broker restarts).
  ctx.faults.attachAmqp(broker);
  const connect = (name: string) =>
    amqp.connect("amqp://localhost", {
      simulation: ctx.sim,
      broker,
      clientProperties: { connection_name: name },
    });
  return { broker, connect };
}

/** Publishes `count` persistent messages to `queue` from a `publisher` connection. */
export async function publishInput(
  connect: ReturnType<typeof amqpWorld>["connect"],
  queue: string,
  count: number,
  body: (i: number) => string = (i) => `job-${i}`,
): Promise<void> {
  const connection = await connect("publisher");
  const channel = await connection.createChannel();
  for (let i = 0; i < count; i++) {
    channel.sendToQueue(queue, Buffer.from(body(i)), { messageId: `m${i}`, persistent: true });
  }
  await channel.close();
}
