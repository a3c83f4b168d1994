import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { Simulation } from "../../src/scheduler/simulation.js";
import { check } from "../../src/semantics/check.js";
import { recordHistory } from "../../src/semantics/history.js";
import { tasks } from "../../src/tasks/app.js";
import { READY_STATES } from "../../src/tasks/result.js";

class Flaky extends Error {}

const scenario = fc.record({
  seed: fc.integer({ min: 1, max: 1_000_000 }),
  jobs: fc.array(
    fc.record({ failures: fc.integer({ min: 0, max: 3 }), workMs: fc.integer({ min: 1, max: 5_000 }) }),
    { minLength: 1, maxLength: 12 },
  ),
  workers: fc.integer({ min: 1, max: 3 }),
  crashes: fc.array(
    fc.record({
      atMs: fc.integer({ min: 0, max: 30_000 }),
      worker: fc.nat(),
      downMs: fc.integer({ min: 0, max: 5_000 }),
    }),
    { maxLength: 4 },
  ),
  transport: fc.constantFrom("amqp" as const, "redis" as const),
});

describe("task layer laws", () => {
  test.prop([scenario], { numRuns: 60 })(
    "flaky tasks, worker crashes (acksLate + rejectOnWorkerLost) and retries: one final state each, at-least-once holds",
    async ({ seed, jobs, workers, crashes, transport }) => {
      const sim = new Simulation({ seed, start: 0 });
      const history = recordHistory(sim);
      const app = tasks(
        sim,
        transport === "redis" ? { transport, visibilityTimeoutMs: 20_000 } : { transport },
      );
      const attempts = new Map<string, number>();
      const job = app.task(
        "job",
        async (ctx, failures: number, workMs: number) => {
          await ctx.sleep(workMs);
          const n = (attempts.get(ctx.id) ?? 0) + 1;
          attempts.set(ctx.id, n);
          if (n <= failures) throw new Flaky(`attempt ${n}`);
          return n;
        },
        {
          acksLate: true,
          rejectOnWorkerLost: true,
          autoretryFor: [Flaky],
          retryBackoff: true,
          maxRetries: 3,
        },
      );
      const pool = Array.from({ length: workers }, (_, i) => app.worker({ name: `w${i}`, concurrency: 2 }));
      for (const crash of crashes) {
        const worker = pool[crash.worker % workers]!;
        sim.at(crash.atMs, () => worker.crash());
        sim.at(crash.atMs + crash.downMs, () => {
          if (worker.process.state !== "running") worker.restart();
        });
      }
      const results = jobs.map((j) => job.delay(j.failures, j.workMs));
      await sim.run();
      for (const r of results) {
        expect(READY_STATES.has(r.state)).toBe(true);
        expect(r.state).toBe("SUCCESS");
        const finals = app.backend.states(r.id).filter((s) => READY_STATES.has(s));
        expect(finals).toHaveLength(1);
      }
      const verdict = check(history, { guarantee: "at-least-once" });
      expect(verdict.anomalies).toEqual([]);
      expect(verdict.valid).toBe(true);
    },
  );

  test.prop([fc.integer({ min: 1, max: 10_000 })], { numRuns: 20 })(
    "same seed, same log, byte for byte",
    async (seed) => {
      const run = async () => {
        const sim = new Simulation({ seed, start: 0 });
        const app = tasks(sim);
        const t = app.task(
          "t",
          async (ctx, i: number) => {
            await ctx.sleep(100 * i);
            if (ctx.retries < i % 3) throw new Flaky("again");
            return i;
          },
          { autoretryFor: [Flaky], retryBackoff: true },
        );
        app.worker({ concurrency: 3 });
        for (let i = 0; i < 6; i++) t.delay(i);
        await sim.run();
        return app.logLines.join("\n");
      };
      expect(await run()).toBe(await run());
    },
  );
});
