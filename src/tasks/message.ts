import type { QueueMessage, QueueMessageProperties } from "../queue/message.js";
import type { Signature } from "./canvas.js";

/**
 * The body of a task message, Celery's protocol in short: the task id (kept across retries), the
 * task name, its arguments, the retries so far, ETA and expiry in virtual epoch ms, and the canvas
 * that follows it (links, error links, the rest of a chain, the chord it belongs to).
 *
 * @example
 * ```ts
 * delivery.content.retries; // 0 on the first run
 * ```
 */
export interface TaskRequest {
  readonly id: string;
  readonly task: string;
  readonly args: readonly unknown[];
  readonly retries: number;
  readonly eta: number | null;
  readonly expires: number | null;
  readonly queue: string;
  readonly link: readonly Signature[];
  readonly linkError: readonly Signature[];
  /** Signatures still to run after this one, in order (a chain). */
  readonly chain: readonly Signature[];
  /** The chord this task is a header member of, or null. */
  readonly chord: string | null;
  /** The task id of the task before it in a chain, or null. */
  readonly parentId: string | null;
}

const NO_PROPERTIES: QueueMessageProperties = Object.freeze({});

/**
 * A task message on a transport queue.
 *
 * @example
 * ```ts
 * const message = new TaskMessage(1, request, sim.now);
 * ```
 */
export class TaskMessage implements QueueMessage {
  readonly id: number;
  readonly content: TaskRequest;
  readonly size = 0;
  readonly ttl = -1;
  readonly publishedAt: number;
  readonly exchange = "";
  readonly routingKey: string;
  readonly properties = NO_PROPERTIES;

  constructor(id: number, request: TaskRequest, publishedAt: number) {
    this.id = id;
    this.content = request;
    this.publishedAt = publishedAt;
    this.routingKey = request.queue;
  }
}
