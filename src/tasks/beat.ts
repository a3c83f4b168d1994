import { backgroundAt } from "../log/timers.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import type { RepeatingHandle } from "../scheduler/simulation.js";
import { checkOptions, checkString } from "../scheduler/validate.js";
import type { ApplyOptions, TaskApp } from "./app.js";
import { checkSignature, type Signature } from "./canvas.js";
import type { Schedule } from "./schedules.js";
import { Task } from "./task.js";

/**
 * One periodic entry of a {@link Beat}.
 *
 * @example
 * ```ts
 * beat.entry("nightly-cleanup")?.runs; // 30 after a month
 * ```
 */
export interface BeatEntry {
  readonly name: string;
  readonly signature: Signature;
  readonly schedule: Schedule;
  readonly options: Readonly<ApplyOptions>;
  /** Virtual time of the last run, or null. */
  lastRunAt: number | null;
  /** Virtual time of the next run while beat runs, or null. */
  nextRunAt: number | null;
  /** Runs so far. */
  runs: number;
}

interface Armed {
  entry: BeatEntry;
  timer: RepeatingHandle;
}

/**
 * Celery beat: sends each entry's task when its schedule is due. Crontab entries fire at the
 * matching minutes; interval entries once the interval has passed since the last actual run.
 * Missed runs are never caught up: after a pause (`stop()` … `start()`) an overdue entry runs
 * once, then its schedule continues from now. Beat's timers are background timers, so
 * `sim.run()` does not wait for them.
 *
 * @example
 * ```ts
 * const beat = app.beat();
 * beat.add("nightly-cleanup", cleanup.s("/tmp"), crontab({ minute: 0, hour: 2 }));
 * beat.start();
 * await sim.runFor(30 * 86_400_000);
 * ```
 */
export class Beat {
  readonly app: TaskApp;
  readonly name: string;
  private readonly entries = new Map<string, BeatEntry>();
  private readonly armed = new Map<string, Armed>();
  private running = false;

  /** @internal Made by {@link TaskApp.beat}. */
  constructor(app: TaskApp, name: string) {
    checkString(name, "name", "TaskApp.beat", true);
    this.app = app;
    this.name = name;
  }

  /** True between {@link start} and {@link stop}. */
  get isRunning(): boolean {
    return this.running;
  }

  /** Adds an entry (a task or a signature, its schedule, call options). Names are unique. */
  add(name: string, what: Task | Signature, schedule: Schedule, options: ApplyOptions = {}): BeatEntry {
    const where = `Beat.add(${JSON.stringify(name)})`;
    checkString(name, "name", "Beat.add", true);
    if (this.entries.has(name))
      throw new InvalidArgumentError(`${where}: an entry with this name exists.`, "DUPLICATE_ENTRY");
    const signature = what instanceof Task ? what.s() : what;
    checkSignature(signature, where);
    if (
      schedule === null ||
      typeof schedule !== "object" ||
      (schedule.kind !== "crontab" && schedule.kind !== "interval")
    ) {
      throw new InvalidArgumentError(
        `${where}: schedule must be crontab({...}) or every(ms).`,
        "INVALID_SCHEDULE",
      );
    }
    checkOptions(options, ["countdown", "eta", "expires", "queue", "taskId", "link", "linkError"], where);
    if (options.taskId !== undefined) {
      throw new InvalidArgumentError(
        `${where}: a periodic entry cannot fix a taskId (each run is a new task).`,
      );
    }
    const entry: BeatEntry = {
      name,
      signature,
      schedule,
      options,
      lastRunAt: null,
      nextRunAt: null,
      runs: 0,
    };
    this.entries.set(name, entry);
    if (this.running) this.arm(entry, this.firstDue(entry));
    return entry;
  }

  /** The entry named `name`. */
  entry(name: string): BeatEntry | undefined {
    return this.entries.get(name);
  }

  /** Starts sending due tasks. Overdue entries (missed while stopped) run once, now. */
  start(): this {
    if (this.running) return this;
    this.running = true;
    this.app.log(`beat: Starting... (${this.entries.size} entries)`);
    for (const entry of this.entries.values()) this.arm(entry, this.firstDue(entry));
    return this;
  }

  /** Stops sending (what beat down for a while looks like). */
  stop(): this {
    if (!this.running) return this;
    this.running = false;
    for (const armed of this.armed.values()) armed.timer.stop();
    this.armed.clear();
    for (const entry of this.entries.values()) entry.nextRunAt = null;
    return this;
  }

  private firstDue(entry: BeatEntry): number | null {
    const now = this.app.sim.now;
    const from = entry.lastRunAt ?? now;
    const due = this.nextAfter(entry, from);
    return due === null ? null : Math.max(due, now);
  }

  private nextAfter(entry: BeatEntry, from: number): number | null {
    const schedule = entry.schedule;
    return schedule.kind === "interval" ? from + schedule.everyMs : schedule.nextAfter(from);
  }

  private arm(entry: BeatEntry, at: number | null): void {
    entry.nextRunAt = at;
    if (at === null) return;
    const timer = backgroundAt(this.app.sim, at, () => this.fire(entry), `beat ${entry.name}`);
    this.armed.set(entry.name, { entry, timer });
  }

  private fire(entry: BeatEntry): void {
    if (!this.running) return;
    const now = this.app.sim.now;
    entry.lastRunAt = now;
    entry.runs++;
    this.app.log(`beat: Scheduler: Sending due task ${entry.name} (${entry.signature.task.name})`);
    entry.signature.applyAsync([], entry.options);
    this.arm(entry, this.nextAfter(entry, now));
  }
}
