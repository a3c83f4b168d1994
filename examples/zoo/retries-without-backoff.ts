// Retries without backoff: the worker calls an inventory service and, when it fails, retries
// three times at once, then gives up and moves on. An inventory restart of a second or two
// exhausts the retries in no time: the reservation is lost, after hammering the service. Fixed:
// exponential backoff (100 ms doubling, 10 attempts) outlasts the outage.
import type { ScenarioContext } from "brokerlab";
import { FAST_GROUP, idOf, logWorld, produceInput, type ZooEntry } from "./harness.js";

function scenario(backoff: boolean) {
  return async (ctx: ScenarioContext) => {
    const { kafka } = logWorld(ctx, ["reservations"]);
    const app = kafka("worker");
    const inventory = ctx.faults.spawn("inventory", async () => {});
    let calls = 0;
    const reserve = async (id: string) => {
      calls++;
      await ctx.sim.sleep(2);
      if (!inventory.alive()) throw new Error("inventory unavailable");
      ctx.history.effect("worker", "reserve", id);
    };
    ctx.faults.spawn("worker", async (p) => {
      const consumer = p.own(app.consumer({ groupId: "worker", ...FAST_GROUP }));
      await consumer.subscribe({ topic: "reservations", fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const id = idOf(message);
          const attempts = backoff ? 10 : 4;
          for (let attempt = 0; attempt < attempts; attempt++) {
            try {
              await reserve(id);
              return;
            } catch {
              if (backoff) await p.sleep(100 * 2 ** attempt);
            }
          }
          // Gave up: logged and skipped, as the handler's author intended.
        },
      });
    });
    await produceInput(kafka, "reservations", 6, { gapMs: 200, sim: ctx.sim });
    await ctx.sim.sleep(60_000);
    ctx.sim.record("inventory calls", { calls });
  };
}

export const retriesWithoutBackoff: ZooEntry = {
  name: "retries-without-backoff",
  bug: "retries a failing dependency three times at once, then skips the message",
  fix: "exponential backoff that outlasts a restart of the dependency",
  expect: { guarantee: "at-least-once" },
  faults: { processes: { inventory: [] }, horizonMs: 1500, kinds: ["crash"] },
  buggy: scenario(false),
  fixed: scenario(true),
};
