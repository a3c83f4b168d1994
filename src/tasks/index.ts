export { type ApplyOptions, type DeadLetteredTask, TaskApp, type TaskAppOptions, tasks } from "./app.js";
export { backoffCountdownS } from "./backoff.js";
export { Beat, type BeatEntry } from "./beat.js";
export { Chain, Chord, chain, chord, Group, GroupResult, group, Signature } from "./canvas.js";
export { type RetryOptions, TaskContext } from "./context.js";
export {
  ChordError,
  describeError,
  MaxRetriesExceededError,
  SoftTimeLimitExceededError,
  TaskRevokedError,
  TimeLimitExceededError,
  WorkerLostError,
} from "./errors.js";
export type { TaskEventBase } from "./events.js";
export { FixedWindowLimiter, type LimiterOptions } from "./limiter.js";
export { TaskMessage, type TaskRequest } from "./message.js";
export {
  AsyncResult,
  type GetOptions,
  READY_STATES,
  ResultBackend,
  type TaskMeta,
  type TaskState,
} from "./result.js";
export {
  type CrontabField,
  type CrontabFields,
  type CrontabSchedule,
  crontab,
  every,
  type IntervalSchedule,
  type Schedule,
} from "./schedules.js";
export { type ErrorClass, Task, type TaskFunction, type TaskOptions } from "./task.js";
export { Worker, type WorkerOptions } from "./worker.js";
