// A poison message requeued forever: the handler fails on one malformed job and nacks it with
// requeue; RabbitMQ puts it back at the head, the worker (prefetch 1) gets it again at once, and
// the jobs behind it never run. Fixed: a quorum queue with a delivery limit dead-letters the
// poison after three attempts to a parking queue, and the other jobs go through.
import type { ScenarioContext } from "brokerlab";
import { amqpWorld, publishInput } from "./amqp-harness.js";
import type { ZooEntry } from "./harness.js";

function scenario(limit: boolean) {
  return async (ctx: ScenarioContext) => {
    const { connect } = amqpWorld(ctx);
    const setup = await (await connect("setup")).createChannel();
    if (limit) {
      await setup.assertQueue("parking", { durable: true });
      await setup.assertQueue("jobs", {
        durable: true,
        arguments: { "x-queue-type": "quorum", "x-delivery-limit": 3 },
        deadLetterExchange: "",
        deadLetterRoutingKey: "parking",
      });
    } else await setup.assertQueue("jobs", { durable: true });
    ctx.faults.spawn("worker", async (p) => {
      const connection = p.own(await connect("worker"));
      const channel = await connection.createChannel();
      await channel.prefetch(1);
      await channel.consume("jobs", async (msg) => {
        if (msg === null) return;
        await p.work(20);
        if (msg.content.toString() === "{not json") {
          channel.nack(msg, false, true); // "try again later"
          return;
        }
        ctx.history.effect("worker", "process", String(msg.properties.messageId));
        channel.ack(msg);
      });
      if (limit) {
        await channel.consume("parking", (msg) => {
          if (msg === null) return;
          ctx.history.effect("worker", "park", String(msg.properties.messageId));
          channel.ack(msg);
        });
      }
    });
    await publishInput(connect, "jobs", 5, (i) => (i === 1 ? "{not json" : `{"job":${i}}`));
    await ctx.sim.sleep(20_000);
  };
}

export const poisonRequeue: ZooEntry = {
  name: "poison-requeue",
  bug: "nacks a malformed job with requeue forever: it blocks every job behind it",
  fix: "a delivery limit and a dead-letter (parking) queue",
  expect: { guarantee: "at-least-once" },
  faults: { processes: { worker: [] }, horizonMs: 3000, kinds: ["crash"] },
  buggy: scenario(false),
  fixed: scenario(true),
};
