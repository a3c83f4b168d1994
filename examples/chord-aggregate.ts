// A chord: ten shard counts in parallel and an aggregate callback that receives their results in
// header order, whatever order they finish in. Then the same chord with one shard failing: the
// other nine still run, the aggregate never does, and the chord's result fails with a ChordError
// naming the first failure.
// Run with: npx tsx examples/chord-aggregate.ts
import { Simulation } from "brokerlab";
import { ChordError, chord, tasks } from "brokerlab/tasks";

async function run(failing: number | null) {
  const sim = new Simulation({ seed: 11, start: Date.UTC(2025, 0, 1, 6, 0) });
  const app = tasks(sim, { log: console.log });
  const latency = sim.random.fork("shards");
  const count = app.task("count_shard", async (ctx, shard: number) => {
    await ctx.sleep(latency.int(100, 2_000));
    if (shard === failing) throw new Error(`shard ${shard} unreachable`);
    return shard * 100;
  });
  const aggregate = app.task("aggregate", (_ctx, counts: number[]) => ({
    counts,
    total: counts.reduce((a, b) => a + b, 0),
  }));
  app.worker({ name: "counter", concurrency: 10 });
  const header = Array.from({ length: 10 }, (_, shard) => count.s(shard));
  const result = chord(header, aggregate.s()).delay();
  try {
    const value = await result.get();
    console.log(`=> aggregate: ${JSON.stringify(value)}\n`);
  } catch (error) {
    await sim.run();
    console.log(`=> chord failed: ${error instanceof ChordError ? error.message : String(error)}`);
    console.log(
      `   header tasks that still finished: ${app.logLines.filter((l) => l.includes("count_shard") && l.includes("succeeded")).length}\n`,
    );
  }
}

console.log("== all ten shards succeed\n");
await run(null);
console.log("== shard 3 fails\n");
await run(3);
