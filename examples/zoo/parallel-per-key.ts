// Per-key order broken by processing a partition's records in parallel: the handler of a batch
// starts every record at once, and records of one key finish in the order their (random)
// processing times allow. Fixed: parallel across keys, sequential within a key.
import type { ScenarioContext } from "brokerlab";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(perKey: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["account-events"]);
    const app = kafka("ledger");
    const work = ctx.sim.random.fork("ledger-work");
    await produceInput(kafka, "account-events", 9, { keyOf: (i) => `account-${i % 3}` });
    ctx.faults.spawn("ledger", async (p) => {
      const consumer = p.own(app.consumer({ groupId: "ledger", ...FAST_GROUP }));
      await consumer.subscribe({ topic: "account-events", fromBeginning: true });
      const apply = async (message: { headers?: Record<string, unknown> }) => {
        await p.work(work.int(1, 20));
        ctx.history.effect("ledger", "apply", idOf(message));
      };
      await consumer.run({
        eachBatch: async ({ batch }) => {
          if (!perKey) {
            await Promise.all(batch.messages.map(apply));
            return;
          }
          const byKey = new Map<string, (typeof batch.messages)[number][]>();
          for (const m of batch.messages) {
            const key = String(m.key);
            const list = byKey.get(key);
            if (list === undefined) byKey.set(key, [m]);
            else list.push(m);
          }
          await Promise.all(
            [...byKey.values()].map(async (list) => {
              for (const m of list) await apply(m);
            }),
          );
        },
      });
    });
    await ctx.sim.sleep(20_000);
  };
}

export const parallelPerKey: ZooEntry = {
  name: "parallel-per-key",
  bug: "processes a partition's batch in parallel: one account's events apply out of order",
  fix: "parallel across keys, sequential within a key",
  expect: { guarantee: "at-least-once", ordering: "per-key" },
  faults: { processes: { ledger: [] }, horizonMs: 3000 },
  buggy: scenario(false),
  fixed: scenario(true),
};
