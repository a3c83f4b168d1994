// Auto-commit with a crash after processing: kafkajs commits what a batch resolved only after the
// batch, so a crash after a message was handled but before the commit redelivers it: a duplicate
// effect (exactly-once broken). Fixed: an inbox — the effect and "seen" are one atomic write of
// the application's database, so a redelivery is recognised.
import type { ScenarioContext } from "brokerlab";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(inbox: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["emails"]);
    const app = kafka("mailer");
    // The application's database survives crashes; its transactions are atomic (synchronous).
    const seen = new Set<string>();
    ctx.faults.spawn("mailer", async (p) => {
      const consumer = p.own(app.consumer({ groupId: "mailer", ...FAST_GROUP }));
      await consumer.subscribe({ topic: "emails", fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const id = idOf(message);
          await p.work(5);
          if (!inbox) ctx.history.effect("mailer", "send-email", id);
          else if (!seen.has(id)) {
            seen.add(id);
            ctx.history.effect("mailer", "send-email", id);
          }
          await p.point("after-process");
        },
      });
    });
    await produceInput(kafka, "emails", 6);
    await ctx.sim.sleep(30_000);
  };
}

export const autoCommitDuplicates: ZooEntry = {
  name: "auto-commit-duplicates",
  bug: "auto-commit after the batch: a crash after handling a message redelivers it (duplicate email)",
  fix: "an inbox: the effect and its 'seen' mark in one atomic write",
  expect: { guarantee: "exactly-once" },
  faults: { processes: { mailer: ["after-process"] }, horizonMs: 5000 },
  buggy: scenario(false),
  fixed: scenario(true),
};
