// The payment handler exactly as the course teaches it: GET payment:<id>; if absent, charge, then
// SETEX payment:<id>. A crash between the charge and the SETEX (or two deliveries racing past the
// GET) charges the card twice. Fixed: the gateway takes an idempotency key and claims it
// atomically (SET NX) before it charges, so a redelivered payment is recognised wherever the
// previous attempt died.
import { DedupeStore } from "../../src/semantics/dedupe.js";
import type { ScenarioContext } from "../../src/semantics/explore.js";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

const DAY_MS = 86_400_000;

/** The course's handler (buggy) or the fixed one, over a Redis and a card gateway. */
export function paymentScenario(fixed: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["payments"]);
    const app = kafka("billing");
    const redis = new DedupeStore(ctx.sim, { latencyMs: 1 });
    const gatewayKeys = new DedupeStore(ctx.sim, { latencyMs: 1 });
    const gateway = {
      async charge(id: string, idempotencyKey?: string) {
        if (
          idempotencyKey !== undefined &&
          !(await gatewayKeys.setIfAbsent(idempotencyKey, "charged", DAY_MS))
        )
          return;
        ctx.history.effect("billing", "charge", id);
      },
    };
    ctx.faults.spawn("billing", async (p) => {
      const consumer = p.own(app.consumer({ groupId: "billing", ...FAST_GROUP }));
      await consumer.subscribe({ topic: "payments", fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const id = idOf(message);
          const key = `payment:${id}`;
          if (!fixed) {
            if ((await redis.get(key)) !== null) return; // already charged
            await p.work(3);
            await gateway.charge(id);
            await p.point("after-charge");
            await redis.setex(key, DAY_MS, "done");
          } else {
            await p.work(3);
            await gateway.charge(id, key);
            await p.point("after-charge");
          }
        },
      });
    });
    await produceInput(kafka, "payments", 5);
    await ctx.sim.sleep(30_000);
  };
}

export const paymentSetex: ZooEntry = {
  name: "payment-setex",
  bug: "check payment:<id>, charge, then SETEX: a crash between charge and SETEX charges twice",
  fix: "the gateway claims the idempotency key atomically before charging",
  expect: { guarantee: "exactly-once" },
  faults: { processes: { billing: ["after-charge"] }, horizonMs: 5000 },
  buggy: paymentScenario(false),
  fixed: paymentScenario(true),
};
