import type { BasicChannel } from "../queue/basic-channel.js";
import type { Delivery } from "../queue/delivery.js";
import { basicQueueHost, queueSettings } from "../queue/host.js";
import { ConsumableQueue } from "../queue/queue.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import type { RandomSource } from "../scheduler/random.js";
import type { Simulation } from "../scheduler/simulation.js";
import {
  checkFunction,
  checkNonNegative,
  checkOneOf,
  checkOptions,
  checkPositive,
  checkString,
} from "../scheduler/validate.js";
import { emitStep, recording } from "../semantics/record.js";
import { backoffCountdownS } from "./backoff.js";
import { Beat } from "./beat.js";
import { checkSignature, type Signature } from "./canvas.js";
import type { Execution, RetryOptions } from "./context.js";
import { ChordError, describeError, MaxRetriesExceededError, RetrySignal } from "./errors.js";
import "./events.js";
import { FixedWindowLimiter, type LimiterOptions } from "./limiter.js";
import { logTime, reprValue, seconds } from "./log.js";
import { TaskMessage, type TaskRequest } from "./message.js";
import { AsyncResult, ResultBackend } from "./result.js";
import { resolveTaskOptions, Task, type TaskFunction, type TaskOptions } from "./task.js";
import { Worker, type WorkerOptions } from "./worker.js";

/**
 * Options of {@link tasks}.
 *
 * @example
 * ```ts
 * tasks(sim, { transport: "redis", visibilityTimeoutMs: 3_600_000, deadLetterQueue: "dlq", log: console.log });
 * ```
 */
export interface TaskAppOptions {
  /** Names the app's seeded random streams (`tasks.<name>.ids`). Default `"celery"`. */
  name?: string;
  /**
   * `"amqp"` (default): unacked work returns when its worker's connection goes. `"redis"`: it
   * returns only after `visibilityTimeoutMs`, even while a worker still runs it.
   */
  transport?: "amqp" | "redis";
  /** Redis transport: kombu's `visibility_timeout`. Default 3 600 000 (1 h). */
  visibilityTimeoutMs?: number;
  /** Keep task states and results (needed by `get()` and chords). Default true. */
  resultBackend?: boolean;
  /** The queue tasks go to by default. Default `"celery"`. */
  defaultQueue?: string;
  /** Where tasks that exhausted their retries go, with their error (the seed's DLQ pattern). Default none. */
  deadLetterQueue?: string | null;
  /** BullMQ's global limiter, per queue: at most `max` starts per `durationMs` across all workers. */
  limiter?: LimiterOptions;
  /** Receives each worker-log line (`[02:00:00.000] Task cleanup[…] received`). */
  log?: ((line: string) => void) | null;
}

/**
 * Options of a call (`applyAsync`, `Signature.set`). `countdown` and numeric `expires` are in
 * seconds (Celery's units); `eta` and a `Date` `expires` are instants (virtual epoch ms or Date).
 *
 * @example
 * ```ts
 * encode.applyAsync(["v.mp4"], { countdown: 10, expires: 3600, queue: "video" });
 * ```
 */
export interface ApplyOptions {
  countdown?: number;
  eta?: number | Date;
  expires?: number | Date;
  queue?: string;
  taskId?: string;
  link?: Signature | readonly Signature[];
  linkError?: Signature | readonly Signature[];
}

/**
 * What the dead-letter queue holds for a task that exhausted its retries.
 *
 * @example
 * ```ts
 * app.deadLetters().map((d) => `${d.task}[${d.id}]: ${d.error}`);
 * ```
 */
export interface DeadLetteredTask {
  id: string;
  task: string;
  args: readonly unknown[];
  retries: number;
  error: string;
  atMs: number;
}

interface ChordState {
  readonly body: Signature;
  readonly bodyId: string;
  readonly results: unknown[];
  remaining: number;
  failed: boolean;
  readonly extra: readonly unknown[];
}

const APPLY_OPTIONS = ["countdown", "eta", "expires", "queue", "taskId", "link", "linkError"] as const;

type TaskDelivery = Delivery<TaskMessage, BasicChannel<TaskMessage>>;

/**
 * Creates a Celery-style task app on a simulation.
 *
 * @example
 * ```ts
 * const app = tasks(sim, { log: console.log });
 * const add = app.task("add", (_ctx, a: number, b: number) => a + b);
 * app.worker({ concurrency: 2 });
 * await add.delay(2, 3).get(); // 5
 * ```
 */
export function tasks(sim: Simulation, options: TaskAppOptions = {}): TaskApp {
  return new TaskApp(sim, options);
}

/**
 * The task app: registry, transport queues, result backend, workers and beat. See {@link tasks}.
 *
 * @example
 * ```ts
 * const app = new TaskApp(sim, { transport: "redis" });
 * ```
 */
export class TaskApp {
  readonly sim: Simulation;
  readonly name: string;
  readonly transport: "amqp" | "redis";
  readonly visibilityTimeoutMs: number;
  readonly defaultQueue: string;
  readonly deadLetterQueue: string | null;
  /** Task states and results. */
  readonly backend: ResultBackend;
  /** Every log line so far. */
  readonly logLines: string[] = [];
  private readonly resultsEnabled: boolean;
  private readonly sink: ((line: string) => void) | null;
  private readonly registry = new Map<string, Task>();
  private readonly queues = new Map<string, ConsumableQueue<TaskMessage, BasicChannel<TaskMessage>>>();
  private readonly host;
  private readonly ids: RandomSource;
  private readonly limiterOptions: LimiterOptions | null;
  private readonly limiters = new Map<string, FixedWindowLimiter>();
  private readonly chords = new Map<string, ChordState>();
  private readonly chordIndex = new Map<string, number>();
  private readonly dead = new Map<string, DeadLetteredTask[]>();
  private nextMessage = 0;
  private workerCount = 0;
  private readonly startMs: number;
  private stampMs = Number.NaN;
  private stamp = "";

  constructor(sim: Simulation, options: TaskAppOptions = {}) {
    const where = "tasks";
    checkOptions(
      options,
      [
        "name",
        "transport",
        "visibilityTimeoutMs",
        "resultBackend",
        "defaultQueue",
        "deadLetterQueue",
        "limiter",
        "log",
      ],
      where,
    );
    const name = options.name ?? "celery";
    checkString(name, "name", where, true);
    const transport = options.transport ?? "amqp";
    checkOneOf(transport, ["amqp", "redis"], "transport", where);
    if (transport === "amqp" && options.visibilityTimeoutMs !== undefined) {
      throw new InvalidArgumentError(
        `${where}: visibilityTimeoutMs applies to transport "redis" only (AMQP returns unacked work when the connection goes).`,
      );
    }
    const vt = options.visibilityTimeoutMs ?? 3_600_000;
    checkPositive(vt, "visibilityTimeoutMs", where);
    const defaultQueue = options.defaultQueue ?? "celery";
    checkString(defaultQueue, "defaultQueue", where, true);
    const dlq = options.deadLetterQueue ?? null;
    if (dlq !== null) checkString(dlq, "deadLetterQueue", where, true);
    const resultBackend = options.resultBackend ?? true;
    if (typeof resultBackend !== "boolean")
      throw new InvalidArgumentError(`${where}: resultBackend must be a boolean.`);
    if (options.log != null) checkFunction(options.log, "log", where);
    this.limiterOptions = options.limiter ?? null;
    if (this.limiterOptions !== null) new FixedWindowLimiter(sim, this.limiterOptions);
    this.sim = sim;
    this.name = name;
    this.transport = transport;
    this.visibilityTimeoutMs = transport === "redis" ? vt : Number.POSITIVE_INFINITY;
    this.defaultQueue = defaultQueue;
    this.deadLetterQueue = dlq;
    this.resultsEnabled = resultBackend;
    this.sink = options.log ?? null;
    this.backend = new ResultBackend(sim);
    this.host = basicQueueHost<TaskMessage>(sim);
    this.ids = sim.random.fork(`tasks.${name}.ids`);
    this.startMs = sim.now;
  }

  // ------------------------------------------------------------------ registry

  /** Registers a task. Names are unique per app. */
  task(name: string, fn: TaskFunction, options: TaskOptions = {}): Task {
    const where = `TaskApp.task(${JSON.stringify(name)})`;
    checkString(name, "name", "TaskApp.task", true);
    checkFunction(fn, "fn", where);
    if (this.registry.has(name)) {
      throw new InvalidArgumentError(
        `${where}: a task with this name is registered already.`,
        "DUPLICATE_TASK",
      );
    }
    const resolved = resolveTaskOptions(
      options,
      { queue: this.defaultQueue, deadLetterQueue: this.deadLetterQueue },
      where,
    );
    const task = new Task(this, name, fn, resolved, this.sim.random.fork(`tasks.${name}.jitter`));
    this.registry.set(name, task);
    return task;
  }

  /** The task registered under `name`; `UNKNOWN_TASK` otherwise. */
  taskNamed(name: string): Task {
    const task = this.registry.get(name);
    if (task === undefined) {
      throw new InvalidArgumentError(
        `Unknown task ${JSON.stringify(name)}: register it with app.task(${JSON.stringify(name)}, fn) first. Known: ${
          [...this.registry.keys()].join(", ") || "none"
        }.`,
        "UNKNOWN_TASK",
        { name },
      );
    }
    return task;
  }

  /** Sends a task by name (Celery's `send_task`). */
  sendTask(name: string, args: readonly unknown[] = [], options: ApplyOptions = {}): AsyncResult {
    return this.apply(this.taskNamed(name), args, options);
  }

  /** A handle on a task id. */
  result(id: string): AsyncResult {
    checkString(id, "id", "TaskApp.result", true);
    return new AsyncResult(id, this.backend, this.sim, this.resultsEnabled);
  }

  /** The transport queue named `name` (created on first use). */
  queue(name: string): ConsumableQueue<TaskMessage, BasicChannel<TaskMessage>> {
    let queue = this.queues.get(name);
    if (queue === undefined) {
      queue = new ConsumableQueue<TaskMessage, BasicChannel<TaskMessage>>(this.host, name, queueSettings(), {
        visibilityTimeoutMs: this.visibilityTimeoutMs,
      });
      this.queues.set(name, queue);
    }
    return queue;
  }

  /** What the dead-letter queue `name` (default: the app's) holds, oldest first. */
  deadLetters(name: string | null = this.deadLetterQueue): readonly DeadLetteredTask[] {
    return name === null ? [] : (this.dead.get(name) ?? []);
  }

  /** Starts a worker process. */
  worker(options: WorkerOptions = {}): Worker {
    return new Worker(this, options, `worker-${++this.workerCount}`);
  }

  /** A beat scheduler for periodic tasks. */
  beat(name = "beat"): Beat {
    return new Beat(this, name);
  }

  /** @internal The app's BullMQ-style limiter for a queue, or null. */
  limiterFor(queue: string): FixedWindowLimiter | null {
    if (this.limiterOptions === null) return null;
    let limiter = this.limiters.get(queue);
    if (limiter === undefined) {
      limiter = new FixedWindowLimiter(this.sim, this.limiterOptions);
      this.limiters.set(queue, limiter);
    }
    return limiter;
  }

  /** Writes one worker-log line stamped with virtual time. */
  log(text: string): void {
    // Many lines share one virtual instant (a burst of tasks at the same ms): format it once.
    const now = this.sim.now;
    if (now !== this.stampMs) {
      this.stampMs = now;
      this.stamp = logTime(now, this.startMs);
    }
    const line = `${this.stamp} ${text}`;
    this.logLines.push(line);
    this.sink?.(line);
  }

  // ------------------------------------------------------------------ calling

  /** @internal `delay` / `applyAsync`. */
  apply(task: Task, args: readonly unknown[], options: ApplyOptions): AsyncResult {
    const where = `${task.name}.applyAsync`;
    const call = this.callOptions(task, options, where);
    const id = call.taskId ?? this.newId();
    this.publish({
      id,
      task: task.name,
      args: [...args],
      retries: 0,
      eta: call.eta,
      expires: call.expires,
      queue: call.queue,
      link: call.link,
      linkError: call.linkError,
      chain: [],
      chord: null,
      parentId: null,
    });
    return this.result(id);
  }

  /** @internal A signature call: extra (or a parent's result) goes before its own arguments. */
  applySignature(sig: Signature, extra: readonly unknown[], options: ApplyOptions): AsyncResult {
    return this.applyStep(sig, extra, options, [], null, null);
  }

  private applyStep(
    sig: Signature,
    extra: readonly unknown[],
    options: ApplyOptions,
    rest: readonly Signature[],
    chordId: string | null,
    parentId: string | null,
  ): AsyncResult {
    const task = sig.task;
    const merged = { ...sig.options, ...options };
    const call = this.callOptions(task, merged, `${task.name}.s().applyAsync`);
    const id = call.taskId ?? this.newId();
    this.publish({
      id,
      task: task.name,
      args: sig.immutable ? [...sig.args] : [...extra, ...sig.args],
      retries: 0,
      eta: call.eta,
      expires: call.expires,
      queue: call.queue,
      link: [...sig.links, ...call.link],
      linkError: [...sig.errorLinks, ...call.linkError],
      chain: rest,
      chord: chordId,
      parentId,
    });
    return this.result(id);
  }

  /** @internal Starts a chain; every step's id is fixed now so the result is the last step's. */
  applyChain(steps: readonly Signature[], extra: readonly unknown[], options: ApplyOptions): AsyncResult {
    const withIds = steps.map((step) =>
      step.options.taskId === undefined ? step.set({ taskId: this.newId() }) : step,
    );
    for (let i = 1; i < withIds.length; i++) {
      this.backend.parents.set(withIds[i]!.options.taskId!, withIds[i - 1]!.options.taskId!);
    }
    this.applyStep(withIds[0]!, extra, options, withIds.slice(1), null, null);
    return this.result(withIds[withIds.length - 1]!.options.taskId!);
  }

  /** @internal Starts a chord. */
  applyChord(
    header: readonly Signature[],
    body: Signature,
    extra: readonly unknown[],
    options: ApplyOptions,
  ): AsyncResult {
    if (!this.resultsEnabled) {
      throw new InvalidArgumentError(
        "chord: chords need a result backend (tasks(sim, { resultBackend: true })).",
      );
    }
    const bodyId = body.options.taskId ?? this.newId();
    const state: ChordState = {
      body: body.set({ taskId: bodyId }),
      bodyId,
      results: new Array(header.length),
      remaining: header.length,
      failed: false,
      extra,
    };
    const chordId = bodyId;
    this.chords.set(chordId, state);
    if (header.length === 0) this.applyStep(state.body, [[]], {}, [], null, null);
    header.forEach((member, index) => {
      const id = member.options.taskId ?? this.newId();
      this.chordIndex.set(id, index);
      this.applyStep(member.set({ taskId: id }), extra, options, [], chordId, null);
    });
    return this.result(bodyId);
  }

  private callOptions(task: Task, options: ApplyOptions, where: string) {
    checkOptions(options, APPLY_OPTIONS, where);
    const now = this.sim.now;
    let eta: number | null = null;
    if (options.countdown !== undefined && options.eta !== undefined) {
      throw new InvalidArgumentError(`${where}: give countdown or eta, not both.`, "INVALID_ETA");
    }
    if (options.countdown !== undefined) {
      if (
        typeof options.countdown !== "number" ||
        !Number.isFinite(options.countdown) ||
        options.countdown < 0
      ) {
        throw new InvalidArgumentError(
          `${where}: countdown is a number of seconds ≥ 0, got ${String(options.countdown)}.`,
          "INVALID_COUNTDOWN",
        );
      }
      eta = now + options.countdown * 1000;
    } else if (options.eta !== undefined) {
      const at = instant(options.eta, "eta", where);
      // An ETA in the past runs now, as in Celery.
      eta = at > now ? at : null;
    }
    let expires: number | null = task.options.expires === null ? null : now + task.options.expires * 1000;
    if (options.expires !== undefined) {
      expires =
        typeof options.expires === "number"
          ? now + seconds0(options.expires, where)
          : instant(options.expires, "expires", where);
    }
    const queue = options.queue ?? task.options.queue;
    checkString(queue, "queue", where, true);
    const taskId = options.taskId;
    if (taskId !== undefined) checkString(taskId, "taskId", where, true);
    return {
      eta,
      expires,
      queue,
      taskId,
      link: signatures(options.link, `${where} link`),
      linkError: signatures(options.linkError, `${where} linkError`),
    };
  }

  private newId(): string {
    const r = this.ids;
    const a = hex32(r.int(0, 0xffffffff));
    const b = hex32(r.int(0, 0xffffffff));
    const c = hex32(r.int(0, 0xffffffff));
    const d = hex32(r.int(0, 0xffffffff));
    const e = hex32(r.int(0, 0xffffffff));
    const f = hex32(r.int(0, 0xffffffff));
    return `${a}-${b.slice(0, 4)}-4${c.slice(0, 3)}-${d.slice(0, 4)}-${e}${f.slice(0, 4)}`;
  }

  private publish(request: TaskRequest): void {
    const sim = this.sim;
    const message = new TaskMessage(++this.nextMessage, request, sim.now);
    const record = recording(sim);
    const value = record
      ? { id: request.id, queue: request.queue, task: request.task, retries: request.retries }
      : null;
    if (value !== null) emitStep(sim, this.name, "invoke", "send", value);
    this.queue(request.queue).enqueue(message);
    if (value !== null) emitStep(sim, this.name, "ok", "send", value);
    if (sim.bus.wants("task.sent")) {
      sim.bus.emit("task.sent", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        retries: request.retries,
        eta: request.eta,
      });
    }
  }

  // ------------------------------------------------------------------ retries

  /** @internal `ctx.retry`: republish, or throw the final error past the limit. */
  retryRequest(execution: Execution, options: RetryOptions): RetrySignal {
    const { request, task } = execution;
    const maxRetries = options.maxRetries === undefined ? task.options.maxRetries : options.maxRetries;
    if (maxRetries !== null && request.retries >= maxRetries) {
      execution.exhausted = true;
      throw options.exc ?? new MaxRetriesExceededError(task.name, request.id, maxRetries);
    }
    let countdownS = task.options.defaultRetryDelay;
    if (options.countdown !== undefined) {
      checkNonNegative(options.countdown, "countdown", "TaskContext.retry");
      countdownS = options.countdown;
    } else if (options.eta !== undefined) {
      countdownS = Math.max(0, (instant(options.eta, "eta", "TaskContext.retry") - this.sim.now) / 1000);
    }
    this.publish({ ...request, retries: request.retries + 1, eta: this.sim.now + countdownS * 1000 });
    if (this.resultsEnabled) this.backend.set(request.id, "RETRY", options.exc ?? null, request.retries + 1);
    return new RetrySignal(countdownS, options.exc);
  }

  /** @internal */
  shouldAutoretry(execution: Execution, error: unknown): boolean {
    if (execution.exhausted) return false;
    return execution.task.options.autoretryFor.some((cls) => error instanceof cls);
  }

  /** @internal Celery's autoretry: backoff (with jitter) or the default delay. */
  autoretry(execution: Execution, error: unknown): RetrySignal {
    const { task, request } = execution;
    const o = task.options;
    const countdown =
      o.backoffFactor > 0
        ? backoffCountdownS(
            o.backoffFactor,
            request.retries,
            o.retryBackoffMax,
            o.retryJitter ? task.jitter : null,
          )
        : o.defaultRetryDelay;
    return this.retryRequest(execution, { exc: error, countdown });
  }

  // ------------------------------------------------------------------ worker reports

  /** @internal */
  taskReceived(worker: string, delivery: TaskDelivery): void {
    const request = delivery.content;
    this.log(`Task ${request.task}[${request.id}] received${delivery.redelivered ? " (redelivered)" : ""}`);
    const sim = this.sim;
    if (recording(sim)) {
      const value = {
        id: request.id,
        queue: request.queue,
        redelivered: delivery.redelivered,
        retries: request.retries,
      };
      emitStep(sim, worker, "invoke", "receive", value);
      emitStep(sim, worker, "ok", "receive", value);
    }
    if (sim.bus.wants("task.received")) {
      sim.bus.emit("task.received", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        worker,
        redelivered: delivery.redelivered,
      });
    }
  }

  /** @internal */
  taskStarted(worker: string, execution: Execution): void {
    const { request } = execution;
    if (this.resultsEnabled) this.backend.set(request.id, "STARTED", null, request.retries);
    const sim = this.sim;
    if (recording(sim)) emitStep(sim, worker, "invoke", "effect", this.effectValue(request));
    if (sim.bus.wants("task.started")) {
      sim.bus.emit("task.started", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        worker,
        retries: request.retries,
      });
    }
  }

  private effectValue(request: TaskRequest) {
    return { id: request.id, name: request.task, queue: request.queue, retries: request.retries };
  }

  /** @internal */
  taskSucceeded(worker: string, execution: Execution, value: unknown, runtimeMs: number): void {
    const { request } = execution;
    this.log(`Task ${request.task}[${request.id}] succeeded in ${seconds(runtimeMs)}: ${reprValue(value)}`);
    if (this.resultsEnabled) this.backend.set(request.id, "SUCCESS", value, request.retries);
    const sim = this.sim;
    if (recording(sim)) emitStep(sim, worker, "ok", "effect", this.effectValue(request));
    if (sim.bus.wants("task.succeeded")) {
      sim.bus.emit("task.succeeded", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        worker,
        runtimeMs,
      });
    }
    for (const sig of request.link) this.applySignature(sig, [value], {});
    if (request.chain.length > 0) {
      const [next, ...rest] = request.chain;
      this.applyStep(next!, [value], {}, rest, null, request.id);
    }
    if (request.chord !== null) this.chordPart(request, true, value);
  }

  /** @internal */
  taskRetried(worker: string, execution: Execution, signal: RetrySignal): void {
    const { request } = execution;
    const cause = signal.exc === undefined ? "" : `: ${describeError(signal.exc)}`;
    this.log(`Task ${request.task}[${request.id}] retry: Retry in ${signal.countdownS}s${cause}`);
    const sim = this.sim;
    if (recording(sim))
      emitStep(sim, worker, "fail", "effect", { ...this.effectValue(request), retry: true });
    if (sim.bus.wants("task.retry")) {
      sim.bus.emit("task.retry", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        worker,
        countdownS: signal.countdownS,
        error: describeError(signal.exc ?? signal),
      });
    }
  }

  /** @internal A final failure: FAILURE, error callbacks, chord, dead-letter queue. */
  taskFailed(worker: string, execution: Execution, error: unknown): void {
    const { request, task } = execution;
    if (this.resultsEnabled) this.backend.set(request.id, "FAILURE", error, request.retries);
    const sim = this.sim;
    if (recording(sim)) emitStep(sim, worker, "fail", "effect", this.effectValue(request));
    if (sim.bus.wants("task.failed")) {
      sim.bus.emit("task.failed", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        worker,
        error: describeError(error),
      });
    }
    const info = [{ id: request.id, task: request.task, args: request.args }, describeError(error)];
    for (const sig of request.linkError) this.applySignature(sig, info, {});
    if (request.chord !== null) this.chordPart(request, false, error);
    const dlq = task.options.deadLetterQueue;
    if (execution.exhausted && dlq !== null) {
      const list = this.dead.get(dlq) ?? [];
      list.push({
        id: request.id,
        task: request.task,
        args: request.args,
        retries: request.retries,
        error: describeError(error),
        atMs: sim.now,
      });
      this.dead.set(dlq, list);
      this.log(
        `Task ${request.task}[${request.id}] sent to dead-letter queue ${dlq} after ${request.retries} retries`,
      );
    }
  }

  /** @internal */
  taskRevoked(worker: string, request: TaskRequest, error: Error): void {
    if (this.resultsEnabled) this.backend.set(request.id, "REVOKED", error, request.retries);
    const sim = this.sim;
    if (sim.bus.wants("task.revoked")) {
      sim.bus.emit("task.revoked", {
        id: request.id,
        name: request.task,
        queue: request.queue,
        worker,
        reason: error.message,
      });
    }
    if (request.chord !== null) this.chordPart(request, false, error);
  }

  /** @internal */
  taskAcked(worker: string, queue: string, name: string, id: string): void {
    const sim = this.sim;
    if (recording(sim)) {
      emitStep(sim, worker, "invoke", "ack", { id, queue });
      emitStep(sim, worker, "ok", "ack", { id, queue });
    }
    if (sim.bus.wants("task.acked")) sim.bus.emit("task.acked", { id, name, queue, worker });
  }

  private chordPart(request: TaskRequest, ok: boolean, value: unknown): void {
    const state = this.chords.get(request.chord!);
    const index = this.chordIndex.get(request.id);
    if (state === undefined || index === undefined) return;
    this.chordIndex.delete(request.id);
    state.remaining--;
    if (ok) {
      state.results[index] = value;
      if (state.remaining === 0 && !state.failed) {
        this.chords.delete(request.chord!);
        this.applyStep(state.body, [state.results], {}, [], null, null);
      }
      return;
    }
    if (state.failed) return;
    state.failed = true;
    const error = new ChordError(request.id, value);
    this.log(`Chord ${state.body.task.name}[${state.bodyId}] failed: ${error.message}`);
    if (this.resultsEnabled) this.backend.set(state.bodyId, "FAILURE", error, 0);
    const info = [
      { id: state.bodyId, task: state.body.task.name, args: state.body.args },
      describeError(error),
    ];
    for (const sig of state.body.errorLinks) this.applySignature(sig, info, {});
  }
}

function instant(value: unknown, name: string, where: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new InvalidArgumentError(
      `${where}: ${name} is a Date or virtual epoch ms, got ${String(value)}.`,
      "INVALID_ETA",
    );
  }
  return ms;
}

function seconds0(value: number, where: string): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(
      `${where}: expires in seconds must be > 0, got ${value}.`,
      "INVALID_EXPIRES",
    );
  }
  return value * 1000;
}

function signatures(value: Signature | readonly Signature[] | undefined, where: string): Signature[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  for (const sig of list) checkSignature(sig, where);
  return [...list];
}

/** Two lowercase hex digits per byte value: task ids are formatted by table, not toString(16). */
const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** An unsigned 32-bit number as eight hex digits (what `n.toString(16).padStart(8, "0")` gives). */
function hex32(n: number): string {
  return HEX_BYTE[n >>> 24]! + HEX_BYTE[(n >>> 16) & 255]! + HEX_BYTE[(n >>> 8) & 255]! + HEX_BYTE[n & 255]!;
}
