import fc from "fast-check";
import { describe, expect, it } from "vitest";
import "../../src/semantics/vitest.js";
import { commitBeforeProcessing } from "../../examples/zoo/commit-before-processing.js";
import { FAST_GROUP, idOf, logWorld, produceInput } from "../../examples/zoo/harness.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { explore, runScenario, type ScenarioContext } from "../../src/semantics/explore.js";
import { validateFaultPlan } from "../../src/semantics/fault-plan.js";
import { planArbitrary, resolveSpace, swarmPlan } from "../../src/semantics/fault-space.js";
import { Faults } from "../../src/semantics/faults.js";

describe("fault plans: validation", () => {
  const targets = { processes: { worker: ["after-process"] }, clients: ["worker"] };
  it("refuses an unknown kind, a crash point or process that does not exist, bad fields — with codes", () => {
    const code = (plan: unknown, t = targets) => {
      try {
        validateFaultPlan(plan, t);
      } catch (error) {
        return (error as { code: string }).code;
      }
      return "accepted";
    };
    expect(code([{ kind: "explode" }])).toBe("UNKNOWN_FAULT_KIND");
    expect(code([{ kind: "crash", process: "worker", point: "before-lunch" }])).toBe("UNKNOWN_CRASH_POINT");
    expect(code([{ kind: "crash", process: "ghost", atMs: 5 }])).toBe("UNKNOWN_PROCESS");
    expect(code([{ kind: "partition", client: "ghost", fromMs: 0, durationMs: 5 }])).toBe("UNKNOWN_CLIENT");
    expect(code([{ kind: "crash", process: "worker" }])).toBe("INVALID_FAULT_PLAN");
    expect(code([{ kind: "crash", process: "worker", atMs: 1, point: "after-process" }])).toBe(
      "INVALID_FAULT_PLAN",
    );
    expect(code([{ kind: "drop-request", request: "gossip" }])).toBe("INVALID_FAULT_PLAN");
    expect(code([{ kind: "delay", request: "produce" }])).toBe("INVALID_FAULT_PLAN");
    expect(code([{ kind: "slow", process: "worker", fromMs: 0, durationMs: 1, factor: 0.5 }])).toBe(
      "INVALID_FAULT_PLAN",
    );
    expect(code([{ kind: "crash", process: "worker", atMs: 1, when: "now" }])).toBe("INVALID_FAULT_PLAN");
    expect(code("crash")).toBe("INVALID_FAULT_PLAN");
    expect(
      code([{ kind: "crash", process: "worker", point: "after-process", occurrence: 2, restartAfterMs: 10 }]),
    ).toBe("accepted");
  });

  it("a plan is JSON: it survives a round trip and validates the same", () => {
    const space = resolveSpace({
      processes: { w: ["p"] },
      requests: ["produce", "commit"],
      clients: ["w"],
      kinds: ["crash", "drop-request", "drop-response", "delay", "partition", "slow", "restart-broker"],
    });
    fc.assert(
      fc.property(planArbitrary(space), (plan) => {
        const copy = JSON.parse(JSON.stringify(plan));
        expect(validateFaultPlan(copy, { processes: space.processes, clients: space.clients })).toEqual(plan);
      }),
    );
  });

  it("a crash point a process did not declare is refused at the point", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const faults = new Faults(sim, []);
    let error: unknown = null;
    faults.spawn(
      "w",
      async (ctx) => {
        try {
          await ctx.point("nope");
        } catch (e) {
          error = e;
        }
      },
      { points: ["yes"] },
    );
    await sim.run();
    expect(error).toMatchObject({ code: "UNKNOWN_CRASH_POINT" });
  });
});

describe("fault injection", () => {
  it("a crash at a point stops the incarnation there, drops its clients, restarts it", async () => {
    const steps: string[] = [];
    let dropped = 0;
    const out = await runScenario(
      async ({ sim, faults }) => {
        faults.spawn("w", async (ctx) => {
          ctx.own({ drop: () => dropped++ });
          for (let i = 0; i < 3; i++) {
            steps.push(`${ctx.incarnation}:${i}@${sim.now}`);
            await ctx.point("mid");
            await ctx.sleep(10);
          }
        });
        await sim.sleep(1000);
        expect(faults.processes.get("w")!.incarnation).toBe(2);
      },
      1,
      [{ kind: "crash", process: "w", point: "mid", occurrence: 2, restartAfterMs: 100 }],
    );
    expect(out.error).toBeNull();
    expect(steps).toEqual(["1:0@0", "1:1@10", "2:0@110", "2:1@120", "2:2@130"]);
    expect(dropped).toBe(1);
    expect(out.fired).toEqual([{ time: 10, fault: "crash w at mid #2, restart after 100ms" }]);
    expect(out.history.operations.filter((o) => o.type === "ok").map((o) => o.f)).toEqual([
      "crash",
      "restart",
    ]);
  });

  it("a crash at a time; slow stretches work", async () => {
    const done: number[] = [];
    const out = await runScenario(
      async ({ sim, faults }) => {
        faults.spawn("w", async (ctx) => {
          await ctx.work(10); // slowed: 100 ms
          done.push(sim.now);
          await ctx.work(100); // would end at 200, but the crash at 150 comes first
          done.push(sim.now);
        });
        await sim.sleep(1000);
        expect(faults.processes.get("w")!.state).toBe("crashed");
      },
      1,
      [
        { kind: "slow", process: "w", fromMs: 0, durationMs: 1, factor: 10 },
        { kind: "crash", process: "w", atMs: 150 },
      ],
    );
    expect(out.error).toBeNull();
    expect(done).toEqual([100]);
  });

  it("drop-response on produce: the send's outcome is unknown (info) and kafkajs' retry duplicates it", async () => {
    const scenario = async (ctx: ScenarioContext) => {
      const { kafka } = logWorld(ctx, ["t"]);
      const consumer = kafka("reader").consumer({ groupId: "g", ...FAST_GROUP });
      await consumer.subscribe({ topic: "t", fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          ctx.history.effect("reader", "process", idOf(message));
        },
      });
      await produceInput(kafka, "t", 3);
      await ctx.sim.sleep(40_000);
    };
    const clean = await runScenario(scenario, 1, [], { expect: "exactly-once" });
    expect(clean.check.valid).toBe(true);
    const dropped = await runScenario(scenario, 1, [{ kind: "drop-response", request: "produce", nth: 2 }], {
      expect: "exactly-once",
    });
    expect(dropped.check.valid).toBe(false);
    expect(dropped.check.anomalies.map((a) => [a.kind, a.ids[0]])).toEqual([["duplicate", "m1"]]);
    expect(
      dropped.history.operations.some((o) => o.f === "send" && o.type === "info" && o.value.id === "m1"),
    ).toBe(true);
    expect(dropped.fired.map((f) => f.fault)).toEqual(["drop-response produce #2"]);
  });

  it("the same plan applied twice gives the same trace, byte for byte", async () => {
    const plan = [
      {
        kind: "crash" as const,
        process: "worker",
        point: "before-process",
        occurrence: 3,
        restartAfterMs: 50,
      },
    ];
    const a = await runScenario(commitBeforeProcessing.buggy, 9, plan, { trace: true });
    const b = await runScenario(commitBeforeProcessing.buggy, 9, plan, { trace: true });
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.history.toJSONLines()).toBe(b.history.toJSONLines());
    const c = await runScenario(commitBeforeProcessing.buggy, 9, [], { trace: true });
    expect(c.traceHash).not.toBe(a.traceHash);
  });
});

describe("swarm", () => {
  const space = { processes: { w: ["p"] }, requests: ["produce" as const], clients: ["w"], horizonMs: 1000 };
  it("is deterministic per seed, valid, and varies the enabled kinds", async () => {
    const { RandomSource } = await import("../../src/scheduler/random.js");
    const plans = Array.from({ length: 50 }, (_, i) => swarmPlan(space, new RandomSource(i)));
    expect(swarmPlan(space, new RandomSource(7))).toEqual(plans[7]);
    for (const plan of plans) validateFaultPlan(plan, { processes: space.processes, clients: space.clients });
    const kinds = new Set(plans.flatMap((p) => p.map((f) => f.kind)));
    expect(kinds.size).toBeGreaterThanOrEqual(4);
    expect(plans.some((p) => p.length === 0)).toBe(true);
  });
});

describe("explore: options, progress, matchers", () => {
  it("reports progress and works with toHaveNoAnomalies", async () => {
    const progress: number[] = [];
    const e = commitBeforeProcessing;
    const ok = await explore(e.fixed, {
      runs: 20,
      faults: e.faults,
      expect: e.expect,
      onProgress: (p) => progress.push(p.runs),
    });
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(ok).toHaveNoAnomalies();
    const bad = await explore(e.buggy, { runs: 50, faults: e.faults, expect: e.expect });
    expect(bad).not.toHaveNoAnomalies();
    expect(() => expect(bad).toHaveNoAnomalies()).toThrow(/counterexample after/);
  });

  it("refuses bad options with codes", async () => {
    const e = commitBeforeProcessing;
    await expect(explore(e.buggy, { runs: 0 })).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    await expect(explore(e.buggy, { expect: "twice" as never })).rejects.toMatchObject({
      code: "UNKNOWN_GUARANTEE",
    });
    await expect(explore(e.buggy, { faults: { kinds: ["meteor" as never] } })).rejects.toMatchObject({
      code: "UNKNOWN_FAULT_KIND",
    });
    await expect(explore(e.buggy, { speed: 2 } as never)).rejects.toMatchObject({ code: "UNKNOWN_OPTION" });
    await expect(runScenario(e.buggy, 1, [{ kind: "explode" } as never])).rejects.toMatchObject({
      code: "UNKNOWN_FAULT_KIND",
    });
  });
});
