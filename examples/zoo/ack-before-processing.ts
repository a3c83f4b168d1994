// Ack before processing on a queue: the worker acknowledges a job as soon as it arrives, then
// works on it. A crash in between loses the job — the broker already forgot it. Fixed: work,
// then ack; a crash then drops the connection and the broker redelivers the unacked job.
import type { ScenarioContext } from "brokerlab";
import { amqpWorld, publishInput } from "./amqp-harness.js";
import type { ZooEntry } from "./harness.js";

function scenario(ackFirst: boolean) {
  return async (ctx: ScenarioContext) => {
    const { connect } = amqpWorld(ctx);
    const setup = await (await connect("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: true });
    ctx.faults.spawn("worker", async (p) => {
      const connection = p.own(await connect("worker"));
      const channel = await connection.createChannel();
      await channel.prefetch(1);
      await channel.consume("jobs", async (msg) => {
        if (msg === null) return;
        if (ackFirst) channel.ack(msg);
        await p.point("before-process");
        await p.work(10);
        ctx.history.effect("worker", "process", String(msg.properties.messageId));
        await p.point("after-process");
        if (!ackFirst) channel.ack(msg);
      });
    });
    await publishInput(connect, "jobs", 6);
    await ctx.sim.sleep(20_000);
  };
}

export const ackBeforeProcessing: ZooEntry = {
  name: "ack-before-processing",
  bug: "acks a job on arrival, then works on it: a crash in between loses the job",
  fix: "work, then ack: an unacked job is redelivered when the worker's connection drops",
  expect: { guarantee: "at-least-once" },
  faults: { processes: { worker: ["before-process", "after-process"] }, horizonMs: 3000 },
  buggy: scenario(true),
  fixed: scenario(false),
};
