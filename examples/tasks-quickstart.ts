// Celery-style tasks in virtual time: a flaky task retried with exponential backoff (no jitter, so
// the waits are Celery's 1, 2, 4 s), a poison one that exhausts its retries into the dead-letter
// queue, and `get()` that waits in virtual time. Run with: npx tsx examples/tasks-quickstart.ts
import { Simulation } from "brokerlab";
import { tasks } from "brokerlab/tasks";

const sim = new Simulation({ seed: 1 });
const app = tasks(sim, { deadLetterQueue: "celery.dlq", log: console.log });

let attempts = 0;
const charge = app.task(
  "charge",
  async (ctx, order: string) => {
    await ctx.sleep(200); // the payment provider takes 200 ms
    if (order === "poison" || ++attempts < 3) throw new Error(`provider timeout for ${order}`);
    return `charged ${order}`;
  },
  { autoretryFor: [Error], retryBackoff: true, retryJitter: false, maxRetries: 3 },
);

app.worker({ name: "payments", concurrency: 2 });
const ok = charge.delay("order-1");
const poison = charge.delay("poison");
console.log("=>", await ok.get(), `(t = ${sim.now - sim.start} ms)`);
const failure = await poison.get().catch((error: Error) => error.message);
console.log("=>", poison.state, failure);
for (const d of app.deadLetters())
  console.log(`dead letter: ${d.task}(${d.args}) after ${d.retries} retries: ${d.error}`);
