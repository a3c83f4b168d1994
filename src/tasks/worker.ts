import PQueue from "p-queue";
import { BasicChannel } from "../queue/basic-channel.js";
import type { Delivery } from "../queue/delivery.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import type { ProcessContext, SimProcess } from "../scheduler/process.js";
import type { Simulation } from "../scheduler/simulation.js";
import { TokenBucket } from "../scheduler/token-bucket.js";
import { checkInteger, checkOptions, checkString } from "../scheduler/validate.js";
import type { TaskApp } from "./app.js";
import { type Execution, TaskContext } from "./context.js";
import {
  describeError,
  RetrySignal,
  SoftTimeLimitExceededError,
  TaskRevokedError,
  TimeLimitExceededError,
  WorkerLostError,
} from "./errors.js";
import type { TaskMessage } from "./message.js";
import { spawnWorkerProcess } from "./process.js";
import type { Task } from "./task.js";

/**
 * Options of {@link TaskApp.worker}.
 *
 * @example
 * ```ts
 * app.worker({ name: "encoder-1", concurrency: 4, prefetchMultiplier: 1, queues: ["video"] });
 * ```
 */
export interface WorkerOptions {
  /** The worker's (and its process's) name. Default `worker-<n>`. */
  name?: string;
  /** Tasks run at once (a p-queue bounds it). Default 1. */
  concurrency?: number;
  /** Prefetch = multiplier × concurrency unacked messages; 0 = unlimited. Default 4 (Celery's). */
  prefetchMultiplier?: number;
  /** Queues consumed. Default: the app's default queue. */
  queues?: readonly string[];
}

type TaskDelivery = Delivery<TaskMessage, BasicChannel<TaskMessage>>;

interface Running {
  readonly worker: Worker;
  readonly delivery: TaskDelivery;
  readonly execution: Execution;
  readonly startedAt: number;
  acked: boolean;
  done: () => void;
  softTimer: number;
  hardTimer: number;
}

interface Held {
  readonly worker: Worker;
  readonly delivery: TaskDelivery;
  readonly incarnation: number;
}

// These kernel events return the pool's promise when they start a task: p-queue frees its slots
// in promise continuations, and a returned promise makes the kernel let those run before virtual
// time moves.

function onEta(held: Held): Promise<unknown> | undefined {
  if (held.worker.incarnation !== held.incarnation) return undefined;
  return held.worker.arrived(held.delivery, true);
}

function onBucketRefill(held: {
  worker: Worker;
  task: Task;
  incarnation: number;
}): Promise<unknown> | undefined {
  if (held.worker.incarnation !== held.incarnation) return undefined;
  return held.worker.drainRateLimited(held.task);
}

function onLimiterReset(held: Held): Promise<unknown> | undefined {
  if (held.worker.incarnation !== held.incarnation) return undefined;
  return held.worker.admit(held.delivery);
}

function onSoftLimit(running: Running): void {
  running.worker.softLimit(running);
}

function onHardLimit(running: Running): void {
  running.worker.hardLimit(running);
}

/**
 * A Celery worker as a kernel process: it consumes its queues with prefetch = multiplier ×
 * concurrency, holds ETA tasks unacked until due, applies per-worker token-bucket rate limits
 * (capacity 1, per task type) and the app's BullMQ-style global limiter, and runs tasks in a
 * `p-queue` of `concurrency` slots. Early ack (default) acks just before a task runs; `acksLate`
 * after it ends. {@link crash} kills the process: tasks in flight never finish, and what was
 * unacked comes back — at once on the AMQP transport, after the visibility timeout on Redis.
 *
 * @example
 * ```ts
 * const worker = app.worker({ concurrency: 2 });
 * sim.at(5_000, () => worker.crash());
 * sim.at(8_000, () => worker.restart());
 * ```
 */
export class Worker {
  readonly app: TaskApp;
  readonly name: string;
  readonly concurrency: number;
  readonly prefetchMultiplier: number;
  readonly queues: readonly string[];
  /** The kernel process. */
  readonly process: SimProcess;
  /** @internal The live incarnation (0 while crashed). */
  incarnation = 0;
  private readonly sim: Simulation;
  private channel: BasicChannel<TaskMessage> | null = null;
  private pool: PQueue | null = null;
  private readonly running = new Set<Running>();
  private buckets = new Map<Task, TokenBucket>();
  private rateLimited = new Map<Task, TaskDelivery[]>();

  /** @internal Made by {@link TaskApp.worker}. */
  constructor(app: TaskApp, options: WorkerOptions, defaultName: string) {
    const where = "TaskApp.worker";
    checkOptions(options, ["name", "concurrency", "prefetchMultiplier", "queues"], where);
    const name = options.name ?? defaultName;
    checkString(name, "name", where, true);
    const concurrency = options.concurrency ?? 1;
    checkInteger(concurrency, "concurrency", where, 1, 10_000);
    const multiplier = options.prefetchMultiplier ?? 4;
    checkInteger(multiplier, "prefetchMultiplier", where, 0, 10_000);
    const queues = options.queues ?? [app.defaultQueue];
    if (!Array.isArray(queues) || queues.length === 0) {
      throw new InvalidArgumentError(`${where}: queues must be a non-empty list of queue names.`);
    }
    for (const queue of queues) checkString(queue, "queue", where, true);
    this.app = app;
    this.sim = app.sim;
    this.name = name;
    this.concurrency = concurrency;
    this.prefetchMultiplier = multiplier;
    this.queues = [...queues];
    this.process = spawnWorkerProcess(app.sim, name, (ctx) => this.boot(ctx));
  }

  /** Tasks running now. */
  get active(): number {
    return this.running.size;
  }

  /** Kills the worker process (SIGKILL): see the class comment. */
  crash(): void {
    if (this.incarnation === 0) return;
    this.app.log(`worker ${this.name}: lost (process crashed) with ${this.running.size} task(s) running`);
    this.process.crash("crash");
  }

  /** Starts the worker again as a new incarnation (crashing it first if it runs). */
  restart(options: { afterMs?: number } = {}): void {
    checkOptions(options, ["afterMs"], "Worker.restart");
    if (this.incarnation !== 0) this.crash();
    this.process.restart(options);
  }

  /**
   * The pool child died while the worker lives: running tasks fail with `WorkerLostError`
   * (acked), unless `acksLate` + `rejectOnWorkerLost`, which requeue them.
   */
  killChild(): void {
    for (const running of [...this.running]) {
      this.stopRunning(running);
      const { task, request } = running.execution;
      if (task.options.acksLate && task.options.rejectOnWorkerLost) {
        this.app.log(`Task ${request.task}[${request.id}] requeued: pool child lost (rejectOnWorkerLost)`);
        if (!this.channel!.closed) this.channel!.reject(running.delivery, true);
      } else {
        const error = new WorkerLostError(this.name);
        this.app.log(`Task handler raised error: ${describeError(error)} for ${request.task}[${request.id}]`);
        this.app.taskFailed(this.name, running.execution, error);
        this.ack(running);
      }
    }
  }

  private boot(ctx: ProcessContext<Simulation>): void {
    const app = this.app;
    const incarnation = ctx.incarnation;
    this.incarnation = incarnation;
    const channel = new BasicChannel<TaskMessage>(this.sim, `${this.name}#${incarnation}`, {
      onDrop: app.transport === "redis" ? "keep-in-flight" : "requeue",
    });
    this.channel = channel;
    this.pool = new PQueue({ concurrency: this.concurrency });
    this.buckets = new Map();
    this.rateLimited = new Map();
    ctx.own({ drop: () => this.died(incarnation) });
    ctx.own(channel);
    const prefetch = this.prefetchMultiplier * this.concurrency;
    const handler = (delivery: TaskDelivery): unknown => this.arrived(delivery, false);
    for (const queue of this.queues) channel.consume(app.queue(queue), handler, { prefetch });
    app.log(
      `worker ${this.name}: ready (concurrency ${this.concurrency}, prefetch ${prefetch || "unlimited"})`,
    );
  }

  private died(incarnation: number): void {
    if (this.incarnation !== incarnation) return;
    this.incarnation = 0;
    for (const running of this.running) this.stopTimers(running);
    for (const running of this.running) running.execution.alive = false;
    this.running.clear();
    this.pool = null;
  }

  /** @internal A message arrived (or its ETA came). */
  arrived(delivery: TaskDelivery, etaReached: boolean): Promise<unknown> | undefined {
    const app = this.app;
    const request = delivery.content;
    if (!etaReached) app.taskReceived(this.name, delivery);
    const now = this.sim.now;
    if (request.expires !== null && now >= request.expires) {
      app.log(`Discarding revoked task: ${request.task}[${request.id}] (expired)`);
      app.taskRevoked(this.name, request, new TaskRevokedError(request.id, "expired"));
      this.ackDelivery(delivery, request.task, request.id);
      return undefined;
    }
    if (request.eta !== null && request.eta > now) {
      this.sim.schedule(request.eta, onEta, { worker: this, delivery, incarnation: this.incarnation });
      return undefined;
    }
    return this.admit(delivery);
  }

  /** @internal Rate limits, then the pool. */
  admit(delivery: TaskDelivery): Promise<unknown> | undefined {
    const task = this.app.taskNamed(delivery.content.task);
    if (task.options.rate !== null) {
      const waiting = this.rateLimited.get(task);
      if (waiting !== undefined && waiting.length > 0) {
        waiting.push(delivery);
        return undefined;
      }
      const bucket = this.bucketFor(task);
      if (!bucket.tryTake()) {
        this.rateLimited.set(task, [delivery]);
        this.armBucket(task, bucket);
        return undefined;
      }
    }
    const limiter = this.app.limiterFor(delivery.content.queue);
    if (limiter !== null && !limiter.tryAcquire()) {
      this.sim.schedule(limiter.resetAt, onLimiterReset, {
        worker: this,
        delivery,
        incarnation: this.incarnation,
      });
      return undefined;
    }
    return this.toPool(delivery, task);
  }

  private bucketFor(task: Task): TokenBucket {
    let bucket = this.buckets.get(task);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.sim, { rate: task.options.rate!, capacity: 1 });
      this.buckets.set(task, bucket);
    }
    return bucket;
  }

  private armBucket(task: Task, bucket: TokenBucket): void {
    const at = this.sim.now + bucket.msUntilAvailable(1);
    this.sim.schedule(at, onBucketRefill, { worker: this, task, incarnation: this.incarnation });
  }

  /** @internal Releases rate-limited tasks as tokens come back, head first. */
  drainRateLimited(task: Task): Promise<unknown> | undefined {
    const waiting = this.rateLimited.get(task);
    if (waiting === undefined) return undefined;
    const bucket = this.bucketFor(task);
    let started: Promise<unknown> | undefined;
    while (waiting.length > 0 && bucket.tryTake()) started = this.toPool(waiting.shift()!, task);
    if (waiting.length > 0) this.armBucket(task, bucket);
    return started;
  }

  private toPool(delivery: TaskDelivery, task: Task): Promise<unknown> | undefined {
    const pool = this.pool;
    if (pool === null) return undefined;
    const incarnation = this.incarnation;
    // A free slot and nobody queued ahead: start now, outside p-queue. A synchronous task ends
    // inside this call and never holds a slot, so the event stays synchronous (no promise, no
    // macrotask boundary per task); an async one is handed to the pool, which counts it in the
    // free slot at once (p-queue starts work synchronously in add), so concurrency stays bounded.
    if (pool.size === 0 && pool.pending < this.concurrency) {
      const started = this.run(delivery, task, incarnation);
      return started === undefined ? undefined : pool.add(() => started);
    }
    return pool.add(() => this.run(delivery, task, incarnation) ?? DONE);
  }

  private run(delivery: TaskDelivery, task: Task, incarnation: number): Promise<void> | undefined {
    if (this.incarnation !== incarnation) return new Promise<void>(() => {});
    const app = this.app;
    const request = delivery.content;
    const execution: Execution = {
      request,
      task,
      alive: true,
      softError: null,
      wake: null,
      exhausted: false,
    };
    const running: Running = {
      worker: this,
      delivery,
      execution,
      startedAt: this.sim.now,
      acked: false,
      done: noop,
      softTimer: -1,
      hardTimer: -1,
    };
    if (!task.options.acksLate) this.ack(running);
    this.running.add(running);
    app.taskStarted(this.name, execution);
    const { softTimeLimit, timeLimit } = task.options;
    if (softTimeLimit !== null)
      running.softTimer = this.sim.schedule(this.sim.now + softTimeLimit * 1000, onSoftLimit, running);
    if (timeLimit !== null)
      running.hardTimer = this.sim.schedule(this.sim.now + timeLimit * 1000, onHardLimit, running);
    let out: unknown;
    try {
      out = task.fn(new TaskContext(app, this.name, execution), ...request.args);
    } catch (error) {
      this.finish(running, false, error);
      return undefined;
    }
    if (out !== null && typeof out === "object" && typeof (out as PromiseLike<unknown>).then === "function") {
      return new Promise<void>((resolve) => {
        running.done = resolve;
        (out as PromiseLike<unknown>).then(
          (value) => this.finish(running, true, value),
          (error: unknown) => this.finish(running, false, error),
        );
      });
    }
    this.finish(running, true, out);
    return undefined;
  }

  private finish(running: Running, ok: boolean, value: unknown): void {
    const execution = running.execution;
    if (!execution.alive) return;
    this.stopRunning(running);
    const app = this.app;
    const { request } = execution;
    const runtimeMs = this.sim.now - running.startedAt;
    if (ok) {
      app.taskSucceeded(this.name, execution, value, runtimeMs);
    } else {
      let error = value;
      if (!(error instanceof RetrySignal) && app.shouldAutoretry(execution, error)) {
        try {
          error = app.autoretry(execution, error);
        } catch (final) {
          error = final;
        }
      }
      if (error instanceof RetrySignal) {
        app.taskRetried(this.name, execution, error);
      } else {
        app.log(`Task ${request.task}[${request.id}] raised unexpected: ${describeError(error)}`);
        app.taskFailed(this.name, execution, error);
      }
    }
    if (!running.acked) this.ack(running);
  }

  /** Marks an execution over: no more sleeps, timers off, its pool slot free. */
  private stopRunning(running: Running): void {
    running.execution.alive = false;
    this.stopTimers(running);
    this.running.delete(running);
    running.done();
  }

  private stopTimers(running: Running): void {
    if (running.softTimer >= 0) this.sim.cancel(running.softTimer);
    if (running.hardTimer >= 0) this.sim.cancel(running.hardTimer);
    running.softTimer = running.hardTimer = -1;
  }

  /** @internal */
  softLimit(running: Running): void {
    running.softTimer = -1;
    const execution = running.execution;
    if (!execution.alive) return;
    const limit = execution.task.options.softTimeLimit!;
    this.app.log(
      `Soft time limit (${limit}s) exceeded for ${execution.request.task}[${execution.request.id}]`,
    );
    const error = new SoftTimeLimitExceededError(limit);
    const wake = execution.wake;
    if (wake !== null) {
      execution.wake = null;
      wake.reject(error);
    } else {
      execution.softError = error;
    }
  }

  /** @internal */
  hardLimit(running: Running): void {
    running.hardTimer = -1;
    const execution = running.execution;
    if (!execution.alive) return;
    this.stopRunning(running);
    const limit = execution.task.options.timeLimit!;
    const { request } = execution;
    this.app.log(`Hard time limit (${limit}s) exceeded for ${request.task}[${request.id}]`);
    this.app.taskFailed(this.name, execution, new TimeLimitExceededError(limit));
    if (!running.acked) this.ack(running);
  }

  private ack(running: Running): void {
    running.acked = true;
    this.ackDelivery(running.delivery, running.execution.request.task, running.execution.request.id);
  }

  private ackDelivery(delivery: TaskDelivery, name: string, id: string): void {
    const channel = this.channel;
    if (channel === null || channel.closed || delivery.channel !== channel) return;
    if (delivery.settled && !delivery.lapsed) return;
    if (channel.ack(delivery)) this.app.taskAcked(this.name, delivery.content.queue, name, id);
  }
}

function noop(): void {}

/** What a synchronous task hands the pool: one shared settled promise, none per task. */
const DONE: Promise<void> = Promise.resolve();
