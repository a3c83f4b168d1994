/**
 * The task layer's events on `sim.bus`, declared into {@link BrokerlabEvents} by declaration
 * merging; payloads are built only when `sim.bus.wants(type)`. `id` is the task id (retries keep
 * it), `worker` the worker's name.
 *
 * @example
 * ```ts
 * sim.bus.on("task.retry", ({ name, id, countdownS }) => console.log(`${name}[${id}] retry in ${countdownS}s`));
 * ```
 */
export interface TaskEventBase {
  id: string;
  name: string;
  queue: string;
}

declare module "../scheduler/event-bus.js" {
  interface BrokerlabEvents {
    /** A task message was published (a first send, a retry or a canvas step). */
    "task.sent": TaskEventBase & { retries: number; eta: number | null };
    /** A worker received a task message. */
    "task.received": TaskEventBase & { worker: string; redelivered: boolean };
    /** A worker started running a task. */
    "task.started": TaskEventBase & { worker: string; retries: number };
    /** A task returned. */
    "task.succeeded": TaskEventBase & { worker: string; runtimeMs: number };
    /** A task failed for good (its result is FAILURE). */
    "task.failed": TaskEventBase & { worker: string; error: string };
    /** A task asked to run again later. */
    "task.retry": TaskEventBase & { worker: string; countdownS: number; error: string };
    /** A task was revoked (expired) instead of running. */
    "task.revoked": TaskEventBase & { worker: string; reason: string };
    /** A worker acknowledged a task message. */
    "task.acked": TaskEventBase & { worker: string };
  }
}
