// A transactional pipeline that commits its input offsets outside the transaction: it reads
// `orders`, writes `totals` in a transaction, commits the transaction, and only then commits the
// consumed offsets with the consumer. A crash between the two reprocesses the order and commits a
// second transaction: a read_committed reader sees the total twice. Fixed: the offsets go into
// the transaction (sendOffsets), so output and progress commit or abort together.
import type { ScenarioContext } from "brokerlab";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(offsetsInTxn: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["orders", "totals"]);
    const app = kafka("pipeline");
    ctx.faults.spawn("pipeline", async (p) => {
      const consumer = p.own(app.consumer({ groupId: "pipeline", ...FAST_GROUP }));
      const producer = p.own(
        app.producer({ transactionalId: "pipeline-1", idempotent: true, maxInFlightRequests: 1 }),
      );
      await producer.connect();
      await consumer.subscribe({ topic: "orders", fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ topic, partition, message }) => {
          const next = [{ topic, partition, offset: String(Number(message.offset) + 1) }];
          const tx = await producer.transaction();
          await tx.send({
            topic: "totals",
            messages: [
              {
                key: message.key,
                value: `total-of-${String(message.value)}`,
                headers: { id: idOf(message) },
              },
            ],
          });
          if (offsetsInTxn) {
            await tx.sendOffsets({
              consumerGroupId: "pipeline",
              topics: [{ topic, partitions: [{ partition, offset: next[0]!.offset }] }],
            });
          }
          await p.point("before-commit");
          await tx.commit();
          await p.point("after-commit");
          if (!offsetsInTxn) await consumer.commitOffsets(next);
        },
      });
    });
    const reader = kafka("reader");
    const consumer = reader.consumer({ groupId: "reader", ...FAST_GROUP }); // read_committed
    await consumer.subscribe({ topic: "totals", fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        ctx.history.effect("reader", "deliver-total", idOf(message));
      },
    });
    await produceInput(kafka, "orders", 4);
    await ctx.sim.sleep(40_000);
  };
}

export const txnOffsetsOutside: ZooEntry = {
  name: "txn-offsets-outside",
  bug: "commits the input offsets after the transaction, outside it: a crash in between duplicates the output",
  fix: "sendOffsets inside the transaction, read_committed downstream",
  expect: { guarantee: "exactly-once" },
  faults: { processes: { pipeline: ["before-commit", "after-commit"] }, horizonMs: 5000 },
  buggy: scenario(false),
  fixed: scenario(true),
};
