/**
 * Processes (issue 8): `sim.spawn` runs code as a named process that can crash — its pending
 * simulation promises never settle, its timers never fire, its clients drop without goodbye — and
 * restart as a new incarnation; crash points stop it exactly where a fault plan says.
 */
import { describe, expect, it } from "vitest";
import { LogCluster } from "../../src/log/cluster.js";
import type { Consumer } from "../../src/log/consumer.js";
import { CRASH_POINTS, type Droppable } from "../../src/scheduler/process.js";
import { Simulation } from "../../src/scheduler/simulation.js";

describe("spawn, crash, restart", () => {
  it("a process runs main in an event at the current time and exits when main returns", async () => {
    const sim = new Simulation({ start: 0 });
    const steps: string[] = [];
    const p = sim.spawn("worker", async (ctx) => {
      steps.push(`start@${sim.now}#${ctx.incarnation}`);
      expect(sim.currentProcess).toBe(p);
      await ctx.sleep(100);
      expect(sim.currentProcess).toBe(p);
      steps.push(`done@${sim.now}`);
    });
    // spawn only schedules: nothing of main has run yet.
    expect(steps).toEqual([]);
    expect(p.state).toBe("running");
    expect(p.incarnation).toBe(1);
    expect(sim.process("worker")).toBe(p);
    await sim.run();
    expect(steps).toEqual(["start@0#1", "done@100"]);
    expect(p.state).toBe("exited");
    await expect(p.exited).resolves.toBe("exited");
    expect(sim.currentProcess).toBeNull();
  });

  it("crash stops main where it is, drops what it owns, and restart runs a new incarnation", async () => {
    const sim = new Simulation({ start: 0 });
    const dropped: string[] = [];
    const reached: string[] = [];
    const p = sim.spawn("worker", async (ctx) => {
      ctx.own({ drop: () => dropped.push(`client#${ctx.incarnation}`) });
      // A client registered by a model (sim.own) inside the process belongs to it as well.
      sim.own({ drop: () => dropped.push(`model-client#${ctx.incarnation}`) });
      reached.push(`before@${sim.now}#${ctx.incarnation}`);
      await ctx.sleep(1000);
      reached.push(`after@${sim.now}#${ctx.incarnation}`);
    });
    sim.after(400, () => {
      expect(p.crash("test")).toBe(true);
      expect(p.crash()).toBe(false); // already dead
    });
    await sim.runUntil(500);
    expect(p.state).toBe("crashed");
    await expect(p.exited).resolves.toBe("crashed");
    expect(dropped).toEqual(["client#1", "model-client#1"]);
    expect(p.owned).toEqual([]);
    p.restart({ afterMs: 50 });
    expect(p.incarnation).toBe(2);
    expect(p.state).toBe("running");
    await sim.run();
    // The first incarnation never woke from its sleep; the second ran to the end.
    expect(reached).toEqual(["before@0#1", "before@550#2", "after@1550#2"]);
    expect(p.state).toBe("exited");
    expect(() => p.restart({ afterMs: -1 })).toThrow(/afterMs/);
  });

  it("restart of a live process crashes it first; a second restart while one is pending is refused", async () => {
    const sim = new Simulation({ start: 0 });
    const incarnations: number[] = [];
    const p = sim.spawn("w", async (ctx) => {
      incarnations.push(ctx.incarnation);
      await ctx.sleep(10_000);
    });
    await sim.runUntil(5);
    p.restart({ afterMs: 10 });
    expect(() => p.restart()).toThrow(/already scheduled to restart/);
    await sim.runUntil(100);
    expect(incarnations).toEqual([1, 2]);
    p.crash();
    await sim.run();
    expect(p.state).toBe("crashed");
  });

  it("a main that throws ends the process as failed and makes run() reject with the error", async () => {
    const sim = new Simulation({ start: 0 });
    const dropped: number[] = [];
    const p = sim.spawn("bad", async (ctx) => {
      ctx.own({ drop: () => dropped.push(ctx.incarnation) });
      await ctx.sleep(10);
      throw new Error("boom");
    });
    await expect(sim.run()).rejects.toThrow("boom");
    expect(p.state).toBe("failed");
    expect((p.error as Error).message).toBe("boom");
    await expect(p.exited).resolves.toBe("failed");
    // A failed process's clients go as a crashed one's do.
    expect(dropped).toEqual([1]);
  });

  it("restartOnFailure restarts a failing main as a new incarnation after afterMs", async () => {
    const sim = new Simulation({ start: 0 });
    const starts: string[] = [];
    const p = sim.spawn(
      "flaky",
      async (ctx) => {
        starts.push(`${ctx.incarnation}@${sim.now}`);
        await ctx.sleep(10);
        if (ctx.incarnation < 3) throw new Error(`failure ${ctx.incarnation}`);
      },
      { restartOnFailure: { afterMs: 100 } },
    );
    await sim.run(); // does not reject: the supervisor handles the failures
    expect(starts).toEqual(["1@0", "2@110", "3@220"]);
    expect(p.state).toBe("exited");
    expect(p.incarnation).toBe(3);
  });

  it("refuses duplicate names and bad arguments", () => {
    const sim = new Simulation({ start: 0 });
    sim.spawn("a", () => {});
    expect(() => sim.spawn("a", () => {})).toThrow(/exists already/);
    expect(() => sim.spawn("b", 42 as never)).toThrow();
    expect(() => sim.spawn("c", () => {}, { restartOnFailure: { afterMs: -5 } })).toThrow();
    expect(() => sim.own({} as Droppable)).toThrow(/drop\(\) method/);
  });
});

describe("a crash is a kill", () => {
  it("at a ctx.point the crash hook chooses, the code after the point never runs", async () => {
    const sim = new Simulation({ start: 0 });
    let processed = 0;
    let afterPoint = 0;
    const seen: string[] = [];
    sim.setCrashHook((info) => {
      seen.push(`${info.process.name}:${info.point}#${info.occurrence}`);
      return info.point === "after-process" && info.occurrence === 3;
    });
    const p = sim.spawn("worker", async (ctx) => {
      for (;;) {
        await ctx.sleep(100);
        processed++;
        await ctx.point("after-process", { n: processed });
        afterPoint++;
      }
    });
    await sim.run();
    expect(p.state).toBe("crashed");
    expect(processed).toBe(3);
    expect(afterPoint).toBe(2); // the third time, the code after the point never ran
    expect(seen).toEqual(["worker:after-process#1", "worker:after-process#2", "worker:after-process#3"]);
    expect(sim.now).toBe(300);
  });

  it("sim.crashPoint returns true only when it killed the current process; outside processes it is false", async () => {
    const sim = new Simulation({ start: 0 });
    sim.setCrashHook(({ point }) => point === CRASH_POINTS.beforeAck);
    expect(sim.crashPoint(CRASH_POINTS.beforeAck)).toBe(false); // top-level code: no process
    const results: boolean[] = [];
    const p = sim.spawn("w", () => {
      results.push(sim.crashPoint(CRASH_POINTS.afterAck));
      results.push(sim.crashPoint(CRASH_POINTS.beforeAck, { deliveryTag: 1 }));
      // The model returns at once here; even if it did not, the process is gone.
      results.push(sim.crashPoint(CRASH_POINTS.beforeAck));
    });
    await sim.run();
    expect(results).toEqual([false, true, false]);
    expect(p.state).toBe("crashed");
  });

  it("a crashed process's pending sleeps and deferreds never settle, and its timers never fire", async () => {
    const sim = new Simulation({ start: 0 });
    const settled: string[] = [];
    let resolveLater!: () => void;
    const p = sim.spawn("w", (ctx) => {
      ctx.sleep(1000).then(() => settled.push("ctx.sleep"));
      sim.sleep(1000).then(() => settled.push("sim.sleep"));
      const d = sim.deferred<void>();
      d.promise.then(() => settled.push("deferred"));
      resolveLater = () => d.resolve();
      sim.after(700, () => settled.push("after"));
      sim.at(900, () => settled.push("at"));
      sim.every(100, () => settled.push(`every@${sim.now}`));
    });
    // An outsider's timer and sleep are not the process's: they still run.
    sim.after(1000, () => settled.push("outsider timer"));
    sim.after(200, () => {
      p.crash();
      resolveLater(); // the broker answers after the crash: nobody hears
    });
    await sim.run();
    // The crash at 200 was scheduled before the repeating timer's second run at 200.
    expect(settled).toEqual(["every@100", "outsider timer"]);
    expect(sim.now).toBe(1000);
    expect(sim.pendingCount).toBe(0);
  });

  it("code awaiting a crashed process's promise from outside waits forever: until() reports the deadlock", async () => {
    const sim = new Simulation({ start: 0 });
    let sleeping!: Promise<void>;
    const p = sim.spawn("w", () => {
      sleeping = sim.sleep(500);
    });
    sim.after(100, () => p.crash());
    await sim.runUntil(100);
    await expect(sim.until(sleeping)).rejects.toThrow(/never settled/);
  });

  it("each process resumes as itself, also when several start at the same instant", async () => {
    const sim = new Simulation({ start: 0 });
    const seen: string[] = [];
    for (const name of ["p1", "p2", "p3"]) {
      sim.spawn(name, async () => {
        await Promise.resolve(); // a plain await: its continuation must still run as this process
        seen.push(`${name}:${sim.currentProcess?.name}`);
        await sim.sleep(5);
        seen.push(`${name}:${sim.currentProcess?.name}`);
      });
    }
    await sim.run();
    expect(seen).toEqual(["p1:p1", "p2:p2", "p3:p3", "p1:p1", "p2:p2", "p3:p3"]);
  });

  it("timers armed inside a process run as that process; after it exits its clients' callbacks still do", async () => {
    const sim = new Simulation({ start: 0 });
    const owners: (string | null)[] = [];
    const p = sim.spawn("w", () => {
      sim.after(50, () => owners.push(sim.currentProcess?.name ?? null));
    });
    sim.after(10, () => owners.push(sim.currentProcess?.name ?? null));
    await sim.run();
    expect(p.state).toBe("exited");
    expect(owners).toEqual([null, "w"]);
  });
});

describe("the log's crash points", () => {
  it("a consumer's commit: before-commit kills before anything is committed, after-commit once it is", async () => {
    for (const point of [CRASH_POINTS.beforeCommit, CRASH_POINTS.afterCommit]) {
      const sim = new Simulation({ start: 0 });
      const cluster = new LogCluster(sim);
      cluster.createTopic("t");
      const producer = cluster.producer();
      producer.send({ topic: "t", value: 1 });
      producer.send({ topic: "t", value: 2 });
      await sim.run();
      const reached: unknown[] = [];
      sim.setCrashHook((info) => {
        reached.push([info.point, info.details]);
        return info.point === point;
      });
      let consumer: Consumer | null = null;
      let afterCommit = 0;
      const p = sim.spawn("reader", async () => {
        consumer = cluster.consumer({ groupId: "g", enableAutoCommit: false, autoOffsetReset: "earliest" });
        consumer.assign([{ topic: "t", partition: 0 }]);
        const records = await consumer.pollAsync(100);
        expect(records).toHaveLength(2);
        await consumer.commitAsync();
        afterCommit++;
      });
      await sim.run();
      expect(p.state).toBe("crashed");
      expect(afterCommit).toBe(0);
      // Created inside the process, the consumer died with it.
      expect((consumer as Consumer | null)?.isClosed).toBe(true);
      const offsets = [{ topic: "t", partition: 0, offset: 2 }];
      expect(reached[0]).toEqual(["before-commit", { groupId: "g", offsets, auto: false }]);
      if (point === CRASH_POINTS.beforeCommit) {
        expect(reached).toHaveLength(1);
        expect(() => cluster.groupOffsets("g")).toThrow(/does not exist/);
      } else {
        expect(reached.map((r) => (r as unknown[])[0])).toEqual(["before-commit", "after-commit"]);
        expect(cluster.groupOffsets("g")[0]!.offset).toBe(2);
      }
    }
  });

  it("a transactional producer reaches its crash points in order; killed at before-commit-transaction it commits nothing", async () => {
    for (const kill of [false, true]) {
      const sim = new Simulation({ start: 0 });
      const cluster = new LogCluster(sim);
      cluster.createTopic("t");
      const reached: string[] = [];
      sim.setCrashHook(({ point }) => {
        reached.push(point);
        return kill && point === CRASH_POINTS.beforeCommitTransaction;
      });
      let ended = 0;
      const p = sim.spawn("relay", async () => {
        const producer = cluster.producer({ transactionalId: "relay" });
        await producer.initTransactions();
        producer.beginTransaction();
        await producer.send({ topic: "t", value: "a" });
        await producer.sendOffsetsToTransaction([{ topic: "t", partition: 0, offset: 1 }], "g");
        await producer.commitTransaction();
        ended++;
        producer.beginTransaction();
        producer.send({ topic: "t", value: "b" });
        await producer.abortTransaction();
        ended++;
      });
      await sim.run();
      const log = cluster.partition("t", 0);
      if (kill) {
        expect(p.state).toBe("crashed");
        expect(ended).toBe(0);
        expect(reached).toEqual([
          "before-transactional-send",
          "before-send-offsets",
          "after-send-offsets",
          "before-commit-transaction",
        ]);
        // The record is in the log, its transaction open: read_committed readers are held at 0.
        expect(log.highWatermark).toBe(1);
        expect(log.lastStableOffset).toBe(0);
      } else {
        expect(p.state).toBe("exited");
        expect(ended).toBe(2);
        expect(reached).toEqual([
          "before-transactional-send",
          "before-send-offsets",
          "after-send-offsets",
          "before-commit-transaction",
          "during-commit-transaction",
          "after-commit-transaction",
          "before-transactional-send",
          "before-abort-transaction",
          "after-abort-transaction",
        ]);
        expect(reached.every((r) => (Object.values(CRASH_POINTS) as string[]).includes(r))).toBe(true);
      }
    }
  });
});

describe("determinism with crashes", () => {
  async function scenario(seed: number): Promise<string[]> {
    const sim = new Simulation({ start: 0, seed });
    const trace: string[] = [];
    sim.bus.tap((type, time, payload) => trace.push(`${time} ${type} ${JSON.stringify(payload)}`));
    const rng = sim.random.fork("work");
    sim.setCrashHook(({ point, occurrence }) => point === "after-process" && occurrence % 4 === 0);
    for (const name of ["a", "b", "c"]) {
      const p = sim.spawn(name, async (ctx) => {
        for (let i = 0; i < 6; i++) {
          await ctx.sleep(rng.int(1, 50));
          sim.record(`${name}#${ctx.incarnation} step ${i}`);
          await ctx.point("after-process", i);
        }
      });
      p.exited.then((state) => {
        if (state === "crashed" && p.incarnation < 3) p.restart({ afterMs: rng.int(1, 20) });
      });
    }
    sim.after(60, () => sim.process("b")?.crash("operator"));
    await sim.run();
    trace.push(sim.processes.map((p) => `${p.name}:${p.state}#${p.incarnation}`).join(" "));
    return trace;
  }

  it("the same seed gives the same trace, crashes and restarts included; another seed another", async () => {
    const first = await scenario(42);
    const second = await scenario(42);
    expect(second).toEqual(first);
    expect(first.some((line) => line.includes("process.crash"))).toBe(true);
    expect(first.some((line) => line.includes("process.restart"))).toBe(true);
    expect(await scenario(43)).not.toEqual(first);
  });

  it("announces a process's life on the bus, with typed payloads", async () => {
    const sim = new Simulation({ start: 0 });
    const seen: string[] = [];
    sim.bus.on("process.spawn", ({ process, incarnation }) => seen.push(`spawn ${process}#${incarnation}`));
    sim.bus.on("process.point", ({ point, occurrence }) => seen.push(`point ${point}#${occurrence}`));
    sim.bus.on("process.crash", ({ process, reason }) => seen.push(`crash ${process} ${reason ?? "-"}`));
    sim.bus.on("process.restart", ({ incarnation }) => seen.push(`restart #${incarnation}`));
    sim.bus.on("process.exit", ({ incarnation }) => seen.push(`exit #${incarnation}`));
    sim.bus.on("process.fail", ({ error }) => seen.push(`fail ${error}`));
    sim.setCrashHook(({ process }) => process.incarnation === 1);
    const worker = sim.spawn("w", async (ctx) => {
      await ctx.point("p");
      if (ctx.incarnation === 3) throw new Error("boom");
    });
    await sim.run();
    worker.restart({ afterMs: 5 });
    await sim.run();
    worker.restart();
    await expect(sim.run()).rejects.toThrow("boom");
    expect(seen).toEqual([
      "spawn w#1",
      "point p#1",
      "crash w crash point p",
      "restart #2",
      "point p#2",
      "exit #2",
      // An exited incarnation's clients live on until it is crashed: a restart crashes it first.
      "crash w restart",
      "restart #3",
      "point p#3",
      "fail boom",
    ]);
  });

  it("a process crashed before its first event ran can be restarted", async () => {
    const sim = new Simulation({ start: 0 });
    const runs: number[] = [];
    const p = sim.spawn("early", (ctx) => {
      runs.push(ctx.incarnation);
    });
    expect(p.crash()).toBe(true);
    p.restart({ afterMs: 10 });
    await sim.run();
    expect(runs).toEqual([2]);
    expect(p.state).toBe("exited");
    expect(sim.now).toBe(10);
  });
});
