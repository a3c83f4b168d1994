// Commit before processing: the consumer commits a message's offset, then handles it. A crash in
// between loses the message: the restarted consumer starts after it. Fixed: handle, then commit.
import type { ScenarioContext } from "brokerlab";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(commitFirst: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["orders"]);
    const app = kafka("worker");
    ctx.faults.spawn("worker", async (p) => {
      const consumer = p.own(app.consumer({ groupId: "orders", ...FAST_GROUP }));
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const next = [{ topic, partition, offset: String(Number(message.offset) + 1) }];
          if (commitFirst) await consumer.commitOffsets(next);
          await p.point("before-process");
          await p.work(5);
          ctx.history.effect("worker", "process", idOf(message));
          await p.point("after-process");
          if (!commitFirst) await consumer.commitOffsets(next);
        },
      });
    });
    await produceInput(kafka, "orders", 6);
    await ctx.sim.sleep(30_000);
  };
}

export const commitBeforeProcessing: ZooEntry = {
  name: "commit-before-processing",
  bug: "commits the offset before handling the message: a crash in between loses it",
  fix: "handle the message, then commit (at-least-once)",
  expect: { guarantee: "at-least-once" },
  faults: { processes: { worker: ["before-process", "after-process"] }, horizonMs: 5000 },
  buggy: scenario(true),
  fixed: scenario(false),
};
