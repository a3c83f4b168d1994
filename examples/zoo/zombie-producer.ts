// A zombie producer that reuses no transactional.id: two pipeline instances each use their own
// transactional id. When the owner of the input partition pauses mid-transaction (a GC pause, a
// slow call) past the session timeout, the group hands the partition to the other instance, which
// reprocesses and commits; then the zombie wakes and commits its transaction too — nothing fences
// it, so the output appears twice. Fixed: one transactional id per input partition, so the new
// owner's initTransactions fences the zombie and aborts its transaction.

import type { ScenarioContext } from "brokerlab";
import type { Producer } from "brokerlab/kafkajs";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(perPartitionId: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["orders", "totals"]);
    for (const name of ["pipeline-a", "pipeline-b"]) {
      const app = kafka(name);
      ctx.faults.spawn(name, async (p) => {
        const consumer = p.own(app.consumer({ groupId: "pipeline", ...FAST_GROUP }));
        const producers = new Map<string, Producer>();
        const producerFor = async (topic: string, partition: number) => {
          const transactionalId = perPartitionId
            ? `totals-from-${topic}-${partition}`
            : `${name}-${p.incarnation}`;
          let producer = producers.get(transactionalId);
          if (producer === undefined) {
            producer = p.own(app.producer({ transactionalId, idempotent: true, maxInFlightRequests: 1 }));
            await producer.connect();
            producers.set(transactionalId, producer);
          }
          return { producer, transactionalId };
        };
        await consumer.subscribe({ topic: "orders", fromBeginning: true });
        await consumer.run({
          autoCommit: false,
          eachMessage: async ({ topic, partition, message }) => {
            const { producer, transactionalId } = await producerFor(topic, partition);
            try {
              const tx = await producer.transaction();
              await tx.send({
                topic: "totals",
                messages: [{ value: `total-${String(message.value)}`, headers: { id: idOf(message) } }],
              });
              await tx.sendOffsets({
                consumerGroupId: "pipeline",
                topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }],
              });
              await p.work(200); // enrich the total: where a pause hurts
              await tx.commit();
            } catch (error) {
              // Fenced (a newer owner of this transactional id): this producer is done.
              producers.delete(transactionalId);
              throw error;
            }
          },
        });
      });
    }
    const reader = kafka("reader").consumer({ groupId: "reader", ...FAST_GROUP });
    await reader.subscribe({ topic: "totals", fromBeginning: true });
    await reader.run({
      eachMessage: async ({ message }) => {
        ctx.history.effect("reader", "deliver-total", idOf(message));
      },
    });
    await produceInput(kafka, "orders", 4);
    await ctx.sim.sleep(60_000);
  };
}

export const zombieProducer: ZooEntry = {
  name: "zombie-producer",
  bug: "each instance has its own transactional.id: a paused instance wakes after a rebalance and commits a duplicate",
  fix: "one transactional.id per input partition: the new owner fences the zombie",
  expect: { guarantee: "exactly-once" },
  faults: { processes: { "pipeline-a": [], "pipeline-b": [] }, horizonMs: 2000, kinds: ["slow"] },
  buggy: scenario(false),
  fixed: scenario(true),
};
