import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { ProcessContext } from "../../src/scheduler/process.js";
import { Simulation } from "../../src/scheduler/simulation.js";

/**
 * Property tests of the kernel's settling: generated programs mixing synchronous handlers, async
 * handlers with await chains (microtask hops, real setImmediate hops, sim.sleep) and processes
 * that crash and restart, checked against a reference interpreter that models the documented
 * semantics directly as a list of events sorted by (time, sequence).
 */

// ---------------------------------------------------------------- programs

/** One segment of an await chain: microtask hops, then real macrotask hops, then maybe a sleep. */
interface Step {
  hops: number;
  immediates: number;
  sleep: number | null;
}

type Actor =
  | { kind: "sync"; at: number }
  | { kind: "async"; at: number; steps: Step[] }
  | { kind: "proc"; startAt: number; steps: Step[]; ops: ProcessOp[] };

/** A crash or a restart (the new incarnation starting `afterMs` later), `gap` ms after the previous one. */
interface ProcessOp {
  gap: number;
  op: "crash" | "restart";
  afterMs: number;
}

const stepArb = (sleep: fc.Arbitrary<number | null>): fc.Arbitrary<Step> =>
  fc.record({
    hops: fc.integer({ min: 1, max: 200 }),
    immediates: fc.integer({ min: 0, max: 2 }),
    sleep,
  });

/**
 * A chain of 1–4 segments; every segment but the last ends in a sleep, so that at most two real
 * setImmediate hops come between two simulation waits (the kernel grants `foreignTurns` = 4
 * macrotask turns to code hopping outside the simulation).
 */
const chainArb: fc.Arbitrary<Step[]> = fc
  .tuple(
    fc.array(stepArb(fc.integer({ min: 0, max: 30 })), { maxLength: 3 }),
    stepArb(fc.option(fc.integer({ min: 0, max: 30 }), { nil: null })),
  )
  .map(([middle, last]) => [...middle, last]);

const actorArb: fc.Arbitrary<Actor> = fc.oneof(
  fc.record({ kind: fc.constant("sync" as const), at: fc.integer({ min: 0, max: 60 }) }),
  fc.record({ kind: fc.constant("async" as const), at: fc.integer({ min: 0, max: 60 }), steps: chainArb }),
  fc.record({
    kind: fc.constant("proc" as const),
    startAt: fc.integer({ min: 0, max: 30 }),
    steps: chainArb,
    // Strictly after the start and after one another (gap ≥ 1, counted from when a restarted
    // incarnation starts): a restart is never still pending when the next operation comes.
    ops: fc.array(
      fc.record({
        gap: fc.integer({ min: 1, max: 40 }),
        op: fc.constantFrom("crash" as const, "restart" as const),
        afterMs: fc.integer({ min: 0, max: 10 }),
      }),
      { maxLength: 3 },
    ),
  }),
);

const programArb = fc.array(actorArb, { minLength: 1, maxLength: 8 });

function opTimes(actor: Extract<Actor, { kind: "proc" }>): (ProcessOp & { at: number })[] {
  let at = actor.startAt;
  let settle = 0;
  return actor.ops.map(({ gap, op, afterMs }) => {
    at += settle + gap;
    settle = op === "restart" ? afterMs : 0;
    return { at, gap, op, afterMs };
  });
}

// ---------------------------------------------------------------- the program on the kernel

async function hops(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await null;
}

/** One real macrotask hop, outside the simulation. */
function immediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

interface KernelRun {
  /** The log as it stood the moment run() returned. */
  log: string[];
  /** The same, some macrotask turns later: nothing may have been added. */
  logLater: string[];
  traceText: string;
  traceHash: string;
  asyncHandlersRunning: number;
  /** Virtual times went backwards somewhere (property c); checked in every note. */
  backwards: string[];
}

async function runOnKernel(program: Actor[]): Promise<KernelRun> {
  const sim = new Simulation({ start: 0 });
  const trace = sim.trace();
  const log: string[] = [];
  const backwards: string[] = [];
  let last = Number.NEGATIVE_INFINITY;
  const note = (what: string) => {
    if (sim.now < last) backwards.push(`${what} at ${sim.now} after ${last}`);
    last = sim.now;
    log.push(`${sim.now} ${what}`);
    sim.record(what);
  };
  const chain = async (label: string, steps: Step[], sleep: (ms: number) => Promise<void>) => {
    for (const [k, step] of steps.entries()) {
      await hops(step.hops);
      for (let i = 0; i < step.immediates; i++) await immediate();
      note(`${label} s${k} hopped`);
      if (step.sleep !== null) {
        await sleep(step.sleep);
        note(`${label} s${k} slept`);
      }
    }
    note(`${label} done`);
  };
  program.forEach((actor, index) => {
    if (actor.kind === "sync") {
      sim.after(actor.at, () => note(`sync${index}`));
    } else if (actor.kind === "async") {
      sim.after(actor.at, async () => {
        note(`async${index} start`);
        await chain(`async${index}`, actor.steps, (ms) => sim.sleep(ms));
      });
    } else {
      const name = `p${index}`;
      const main = async (ctx: ProcessContext<Simulation>) => {
        const label = `${name}#${ctx.incarnation}`;
        note(`${label} start`);
        await chain(label, actor.steps, (ms) => ctx.sleep(ms));
      };
      sim.after(actor.startAt, () => {
        sim.spawn(name, main);
      });
      for (const { at, op, afterMs } of opTimes(actor)) {
        sim.at(at, () => {
          const proc = sim.process(name);
          if (proc === undefined) throw new Error(`${name} not spawned by ${at}`);
          if (op === "crash") {
            proc.crash();
            note(`${name} crash`);
          } else {
            proc.restart({ afterMs });
            note(`${name} restart`);
          }
        });
      }
    }
  });
  await sim.run();
  const snapshot = [...log];
  for (let i = 0; i < 5; i++) await immediate();
  return {
    log: snapshot,
    logLater: [...log],
    traceText: trace.serialize(),
    traceHash: trace.hash(),
    asyncHandlersRunning: sim.asyncHandlersRunning,
    backwards,
  };
}

// ---------------------------------------------------------------- the reference interpreter

interface RefIncarnation {
  number: number;
  alive: boolean;
}

interface RefEvent {
  time: number;
  seq: number;
  /** An event armed by a process's code: skipped once that incarnation has died. */
  owner: RefIncarnation | null;
  fn: () => void;
}

/**
 * The documented semantics, modelled directly: events run in (time, seq) order, seq being the
 * order they were scheduled in; the code an event resumes runs up to its next simulation wait
 * before any other event — however many microtask or (up to the granted turns) real macrotask
 * hops it takes — at the same virtual time; a crashed incarnation's pending waits never wake.
 */
function runReference(program: Actor[]): string[] {
  const log: string[] = [];
  const queue: RefEvent[] = [];
  let now = 0;
  let seq = 0;
  const push = (time: number, owner: RefIncarnation | null, fn: () => void) => {
    queue.push({ time, seq: ++seq, owner, fn });
  };
  const note = (what: string) => log.push(`${now} ${what}`);

  // A chain segment runs atomically; a sleep arms the wake-up, owned like the code that slept.
  const chain = (
    label: string,
    steps: Step[],
    k: number,
    owner: RefIncarnation | null,
    onDone: () => void,
  ) => {
    for (; k < steps.length; k++) {
      const step = steps[k]!;
      note(`${label} s${k} hopped`);
      if (step.sleep !== null) {
        const next = k;
        push(now + step.sleep, owner, () => {
          note(`${label} s${next} slept`);
          chain(label, steps, next + 1, owner, onDone);
        });
        return;
      }
    }
    note(`${label} done`);
    onDone();
  };

  interface RefProcess {
    token: RefIncarnation;
    restartPending: boolean;
  }
  const processes = new Map<string, RefProcess>();
  const begin = (name: string, proc: RefProcess, steps: Step[], afterMs: number) => {
    const token: RefIncarnation = { number: proc.token.number + 1, alive: true };
    proc.token = token;
    proc.restartPending = true;
    push(now + afterMs, token, () => {
      proc.restartPending = false;
      const label = `${name}#${token.number}`;
      note(`${label} start`);
      chain(label, steps, 0, token, () => {});
    });
  };

  program.forEach((actor, index) => {
    if (actor.kind === "sync") {
      push(actor.at, null, () => note(`sync${index}`));
    } else if (actor.kind === "async") {
      push(actor.at, null, () => {
        note(`async${index} start`);
        chain(`async${index}`, actor.steps, 0, null, () => {});
      });
    } else {
      const name = `p${index}`;
      push(actor.startAt, null, () => {
        const proc: RefProcess = { token: { number: 0, alive: false }, restartPending: false };
        processes.set(name, proc);
        begin(name, proc, actor.steps, 0);
      });
      for (const { at, op, afterMs } of opTimes(actor)) {
        push(at, null, () => {
          const proc = processes.get(name);
          if (proc === undefined) throw new Error(`reference: ${name} not spawned by ${at}`);
          if (op === "crash") {
            proc.token.alive = false;
            note(`${name} crash`);
          } else {
            if (proc.restartPending) throw new Error("reference: restart while one is pending");
            proc.token.alive = false;
            begin(name, proc, actor.steps, afterMs);
            note(`${name} restart`);
          }
        });
      }
    }
  });

  for (;;) {
    let best = -1;
    for (let i = 0; i < queue.length; i++) {
      const e = queue[i]!;
      const b = best < 0 ? null : queue[best]!;
      if (b === null || e.time < b.time || (e.time === b.time && e.seq < b.seq)) best = i;
    }
    if (best < 0) break;
    const [event] = queue.splice(best, 1);
    if (event === undefined) break;
    if (event.time < now) throw new Error("reference: time went backwards");
    now = event.time;
    if (event.owner !== null && !event.owner.alive) continue;
    event.fn();
  }
  return log;
}

// ---------------------------------------------------------------- properties

describe("settling properties: generated programs against a reference interpreter", () => {
  fcTest.prop([programArb], { numRuns: 250 })(
    "same trace twice (a), the reference's log (b), time never decreasing (c), nothing left runnable after run() (d)",
    async (program) => {
      const first = await runOnKernel(program);
      const second = await runOnKernel(program);
      // (a) one program, two runs: byte-identical traces.
      expect(second.traceText).toBe(first.traceText);
      expect(second.traceHash).toBe(first.traceHash);
      expect(second.log).toEqual(first.log);
      // (c) now never decreased, in any handler or continuation.
      expect(first.backwards).toEqual([]);
      // (b) which step ran at which virtual time, in which order: as the reference says.
      const expected = runReference(program);
      expect(first.log).toEqual(expected);
      // (d) run() returned only once every chain that can finish had finished: nothing was
      // logged after it returned, and no async handler is still running.
      expect(first.logLater).toEqual(first.log);
      expect(first.asyncHandlersRunning).toBe(0);
    },
  );
});

describe("settling: a process keeps its identity across real macrotask hops", () => {
  // The minimal counterexample the property above shrinks to (kept as its own test so the failure
  // reads at once): after a microtask hop and then a real setImmediate hop, the process's code runs
  // with no current process (the kernel's own macrotask boundary, queued first, reset it), so its
  // ctx.sleep() is armed broker-side and wakes after the process has crashed.
  it("a crash stops a process that awaited a microtask and then a real setImmediate before ctx.sleep", async () => {
    const sim = new Simulation({ start: 0 });
    const log: string[] = [];
    const worker = sim.spawn("worker", async (ctx) => {
      await null;
      await new Promise((resolve) => setImmediate(resolve));
      // After a real macrotask hop nothing tells the kernel which process runs (no AsyncContext in
      // JavaScript yet): `sim.currentProcess` is null here, but `ctx.sleep` names its incarnation.
      log.push("hopped");
      await ctx.sleep(1);
      log.push(`woke at ${sim.now} in state ${worker.state}`);
    });
    sim.at(1, () => worker.crash());
    await sim.run();
    expect(log).toEqual(["hopped"]);
    expect(worker.state).toBe("crashed");
  });
});
