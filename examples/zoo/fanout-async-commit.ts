// A notifications fan-out whose consumer commits asynchronously ahead of processing: for each
// batch it fires off a commit of the whole batch (not awaited), then sends the notifications one
// by one. When the member dies or the group rebalances mid-batch, the new owner starts after the
// batch: the notifications not yet sent are lost. Fixed: commit each notification's offset after
// sending it.
import type { ScenarioContext } from "brokerlab";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(commitAhead: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["events"], 2);
    await produceInput(kafka, "events", 10);
    for (const name of ["notifier-a", "notifier-b"]) {
      const app = kafka(name);
      ctx.faults.spawn(name, async (p) => {
        const consumer = p.own(app.consumer({ groupId: "notifier", ...FAST_GROUP }));
        await consumer.subscribe({ topic: "events", fromBeginning: true });
        await consumer.run({
          eachBatchAutoResolve: false,
          autoCommit: false,
          eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
            const { topic, partition } = batch;
            if (commitAhead) {
              const end = String(Number(batch.lastOffset()) + 1);
              void consumer.commitOffsets([{ topic, partition, offset: end }]).catch(() => undefined);
            }
            for (const message of batch.messages) {
              await p.work(10);
              ctx.history.effect(name, "notify", idOf(message));
              await p.point("after-notify");
              if (!commitAhead) {
                resolveOffset(message.offset);
                await commitOffsetsIfNecessary({
                  topics: [
                    { topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] },
                  ],
                });
              }
            }
          },
        });
      });
    }
    await ctx.sim.sleep(30_000);
  };
}

export const fanoutAsyncCommit: ZooEntry = {
  name: "fanout-async-commit",
  bug: "commits each batch asynchronously before sending its notifications: a crash or rebalance mid-batch loses the rest",
  fix: "commit each notification's offset after it is sent",
  expect: { guarantee: "at-least-once" },
  faults: {
    processes: { "notifier-a": ["after-notify"], "notifier-b": ["after-notify"] },
    horizonMs: 3000,
  },
  buggy: scenario(true),
  fixed: scenario(false),
};
