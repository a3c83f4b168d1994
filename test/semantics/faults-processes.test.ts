/**
 * The fault layer's processes are kernel processes (`sim.spawn`): crashes at times and at named
 * points — the process's own and the models' CRASH_POINTS — through the plan, restarts, slow
 * windows, failures, and the coded errors of bad plans and spawns.
 */
import { describe, expect, it } from "vitest";
import { type ConsumeMessage, connect } from "../../src/compat/amqplib/index.js";
import { AmqpBroker } from "../../src/exchange/broker.js";
import { CRASH_POINTS } from "../../src/scheduler/process.js";
import { Simulation } from "../../src/scheduler/simulation.js";
import { runScenario, type ScenarioContext } from "../../src/semantics/explore.js";
import type { FaultPlan } from "../../src/semantics/fault-plan.js";
import { Faults } from "../../src/semantics/faults.js";

/** A worker process consuming "jobs" through the amqplib facade; acks after processing. */
function ackScenario(log: string[]) {
  return async (ctx: ScenarioContext) => {
    const broker = new AmqpBroker(ctx.sim);
    ctx.faults.attachAmqp(broker);
    const open = (name: string) =>
      connect(undefined, { simulation: ctx.sim, broker, clientProperties: { connection_name: name } });
    const setup = await (await open("setup")).createChannel();
    await setup.assertQueue("jobs", { durable: true });
    ctx.faults.spawn(
      "worker",
      async (p) => {
        // Nobody registers the connection: it belongs to the process that opened it.
        const channel = await (await open("worker")).createChannel();
        await channel.prefetch(1);
        await channel.consume("jobs", async (msg: ConsumeMessage | null) => {
          if (msg === null) return;
          const id = String(msg.properties.messageId);
          log.push(`${p.incarnation}:${id}:${msg.fields.redelivered}`);
          await p.work(10);
          ctx.history.effect("worker", "process", id);
          channel.ack(msg);
        });
      },
      { points: [] },
    );
    for (let i = 0; i < 3; i++) setup.sendToQueue("jobs", Buffer.from(`j${i}`), { messageId: `m${i}` });
    await ctx.sim.sleep(5000);
  };
}

describe("fault processes on the kernel", () => {
  it("a crash at a model point (after-ack, 2nd time) through the plan: the ack stands, the process restarts", async () => {
    const log: string[] = [];
    const plan: FaultPlan = [
      { kind: "crash", process: "worker", point: CRASH_POINTS.afterAck, occurrence: 2, restartAfterMs: 100 },
    ];
    const out = await runScenario(ackScenario(log), 1, plan, { expect: "exactly-once" });
    expect(out.error).toBeNull();
    expect(out.fired.map((f) => [f.time, f.fault])).toEqual([
      [20, "crash worker at after-ack #2, restart after 100ms"],
    ]);
    // m2 went out to the dying incarnation with the ack that freed its prefetch slot (it never
    // saw it): the restarted one gets it redelivered.
    expect(log).toEqual(["1:m0:false", "1:m1:false", "2:m2:true"]);
    expect(out.check.valid).toBe(true);
  });

  it("a crash at before-ack: that ack never happens, the restarted incarnation gets the message again", async () => {
    const log: string[] = [];
    const plan: FaultPlan = [
      { kind: "crash", process: "worker", point: CRASH_POINTS.beforeAck, occurrence: 1, restartAfterMs: 0 },
    ];
    const out = await runScenario(ackScenario(log), 1, plan, { expect: "at-least-once" });
    expect(out.error).toBeNull();
    expect(log).toEqual(["1:m0:false", "2:m0:true", "2:m1:false", "2:m2:false"]);
    expect(out.check.valid).toBe(true);
    expect(out.check.counts.processed).toEqual({ once: 2, moreThanOnce: 1, never: 0 });
    const steps = out.history.operations
      .filter((o) => o.type === "ok" && o.process === "worker")
      .map((o) => o.f);
    expect(steps.filter((f) => f === "crash" || f === "restart")).toEqual(["crash", "restart"]);
  });

  it("the same plan twice gives the same trace hash", async () => {
    const plan: FaultPlan = [
      { kind: "crash", process: "worker", point: CRASH_POINTS.beforeAck, occurrence: 2, restartAfterMs: 30 },
      { kind: "slow", process: "worker", fromMs: 0, durationMs: 50, factor: 3 },
    ];
    const a = await runScenario(ackScenario([]), 7, plan, { trace: true });
    const b = await runScenario(ackScenario([]), 7, plan, { trace: true });
    expect(a.traceHash).toBe(b.traceHash);
    expect(a.fired).toEqual(b.fired);
  });

  it("processes are kernel processes: sim.processes lists them, a crash kills pending sleeps and drops owned clients", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const faults = new Faults(sim, [{ kind: "crash", process: "w", atMs: 50, restartAfterMs: 10 }]);
    let dropped = 0;
    const woke: string[] = [];
    const p = faults.spawn("w", async (ctx) => {
      ctx.own({ drop: () => dropped++ });
      await sim.sleep(100); // a plain simulation sleep, not ctx.sleep: it dies with the process too
      woke.push(`${ctx.incarnation}@${sim.now}`);
    });
    expect(sim.processes.map((k) => k.name)).toEqual(["w"]);
    expect(p.kernel).toBe(sim.process("w"));
    await sim.run();
    expect(woke).toEqual(["2@160"]);
    expect(dropped).toBe(1);
    expect(p.state).toBe("exited");
    expect(p.incarnation).toBe(2);
  });

  it("a crash at time 0 hits a process spawned at time 0 once it has started", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const faults = new Faults(sim, [{ kind: "crash", process: "w", atMs: 0 }]);
    let started = 0;
    const p = faults.spawn("w", async (ctx) => {
      started++;
      await ctx.sleep(10);
      started++;
    });
    await sim.run();
    expect(started).toBe(1);
    expect(p.state).toBe("crashed");
    expect(p.alive()).toBe(false);
  });

  it("a plan may crash a process spawned with sim.spawn directly, at a time or a point", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    new Faults(sim, [{ kind: "crash", process: "raw", point: "mid", occurrence: 2, restartAfterMs: 5 }]);
    const steps: string[] = [];
    sim.spawn("raw", async (ctx) => {
      for (let i = 0; i < 3; i++) {
        steps.push(`${ctx.incarnation}:${i}`);
        await ctx.point("mid");
        await ctx.sleep(10);
      }
    });
    await sim.run();
    expect(steps).toEqual(["1:0", "1:1", "2:0", "2:1", "2:2"]);
  });

  it("a main that throws ends the incarnation as failed without failing the run; restartOnFailureAfterMs restarts it", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const faults = new Faults(sim, []);
    let runs = 0;
    const p = faults.spawn(
      "flaky",
      async (ctx) => {
        runs++;
        await ctx.sleep(5);
        if (ctx.incarnation < 3) throw new Error("boom");
      },
      { restartOnFailureAfterMs: 20 },
    );
    const q = faults.spawn("broken", () => {
      throw new Error("at once");
    });
    await sim.run();
    expect(runs).toBe(3);
    expect(p.state).toBe("exited");
    expect(q.state).toBe("failed");
    expect((q.error as Error).message).toBe("at once");
  });

  it("slow stretches ctx.work only inside its window", async () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const faults = new Faults(sim, [{ kind: "slow", process: "w", fromMs: 10, durationMs: 10, factor: 5 }]);
    const at: number[] = [];
    faults.spawn("w", async (ctx) => {
      await ctx.work(10); // 0 → 10
      at.push(sim.now);
      await ctx.work(10); // starts in the window: 50 ms
      at.push(sim.now);
      await ctx.work(10);
      at.push(sim.now);
    });
    await sim.run();
    expect(at).toEqual([10, 60, 70]);
    expect(faults.fired.map((f) => f.fault)).toEqual(["slow w ×5 from 10ms for 10ms"]);
  });

  it("bad input gets coded errors and starts nothing", () => {
    const sim = new Simulation({ seed: 1, start: 0 });
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code: string }).code;
      }
      return "accepted";
    };
    expect(code(() => new Faults(sim, [{ kind: "meteor" } as never]))).toBe("UNKNOWN_FAULT_KIND");
    expect(
      code(
        () =>
          new Faults(sim, [{ kind: "crash", process: "w", point: "nope" }], {
            targets: { processes: { w: ["yes"] } },
          }),
      ),
    ).toBe("UNKNOWN_CRASH_POINT");
    const faults = new Faults(sim, [{ kind: "crash", process: "w", point: "nope" }]);
    // The plan names a point the process does not declare and no model has.
    expect(code(() => faults.spawn("w", async () => {}, { points: ["yes"] }))).toBe("UNKNOWN_CRASH_POINT");
    expect(sim.processes).toEqual([]);
    // A model point is always declared.
    const ok = new Faults(new Simulation({ seed: 1, start: 0 }), [
      { kind: "crash", process: "w", point: CRASH_POINTS.beforeCommit },
    ]);
    expect(code(() => ok.spawn("w", async () => {}, { points: [] }))).toBe("accepted");
    expect(code(() => faults.spawn("", async () => {}))).toBe("INVALID_ARGUMENT");
    expect(code(() => faults.spawn("x", "main" as never))).toBe("INVALID_ARGUMENT");
    expect(code(() => faults.spawn("x", async () => {}, { pointz: [] } as never))).toBe("UNKNOWN_OPTION");
    expect(code(() => faults.spawn("x", async () => {}, { points: [""] }))).toBe("INVALID_ARGUMENT");
    expect(code(() => faults.spawn("x", async () => {}, { restartOnFailureAfterMs: -1 }))).toBe(
      "INVALID_ARGUMENT",
    );
    expect(sim.processes).toEqual([]);
    sim.spawn("taken", async () => {});
    expect(code(() => faults.spawn("taken", async () => {}))).toBe("DUPLICATE_NAME");
    faults.spawn("x", async () => {});
    expect(code(() => faults.spawn("x", async () => {}))).toBe("DUPLICATE_PROCESS");
    expect(code(() => faults.processes.get("x")!.restart())).toBe("PROCESS_RUNNING");
  });
});
