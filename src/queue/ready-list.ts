import type { QueueEntry } from "./entry.js";

/** What the ready list orders by: the position in publication order. */
interface Sequenced {
  seq: number;
}

import { Ring } from "./ring.js";

/**
 * A binary min-heap of entries by `seq`, for messages requeued to their original position. Requeues
 * are rarer than publishes, so they pay O(log n) here while publishes and fetches stay O(1) in the
 * main ring.
 */
class SeqHeap<E extends Sequenced> {
  private readonly items: E[] = [];

  get size(): number {
    return this.items.length;
  }

  peek(): E | undefined {
    return this.items[0];
  }

  push(entry: E): void {
    const items = this.items;
    let i = items.length;
    items.push(entry);
    const seq = entry.seq;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const above = items[parent]!;
      if (above.seq <= seq) break;
      items[i] = above;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): E | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length === 0 || last === undefined) return top;
    const size = items.length;
    const seq = last.seq;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      const right = child + 1;
      if (right < size && items[right]!.seq < items[child]!.seq) child = right;
      if (items[child]!.seq >= seq) break;
      items[i] = items[child]!;
      i = child;
    }
    items[i] = last;
    return top;
  }

  sorted(): E[] {
    return this.items.slice().sort((a, b) => a.seq - b.seq);
  }

  clear(): void {
    this.items.length = 0;
  }
}

/**
 * A queue's ready messages in delivery order, in up to three parts:
 *
 * - `main`: a FIFO ring of messages never delivered, in publication order (appends and fetches
 *   are O(1));
 * - classic queues: a heap of requeued messages, ordered by their original position. Everything in
 *   the ring was published after anything ever taken from the ring's head, so every requeued
 *   message belongs before the whole ring, and the heap is served first: a requeued message goes
 *   back to exactly its original place, ahead of later ones (RabbitMQ's classic behaviour);
 * - quorum queues with a delivery limit: a FIFO of returned messages served before the ring, in
 *   the order they came back (RabbitMQ 3.10's `returns` queue). Quorum queues without a limit
 *   append returned messages to the ring instead.
 *
 * @example
 * ```ts
 * const ready = new ReadyList();
 * ready.push(a); ready.push(b); ready.push(c);
 * const first = ready.shift(); // a
 * ready.requeue(first!); // a is ahead of b again
 * ```
 */
export class ReadyList<E extends Sequenced = QueueEntry> {
  private readonly main = new Ring<E>();
  private front: SeqHeap<E> | null = null;
  private returns: Ring<E> | null = null;
  private count = 0;

  /** Number of ready messages. */
  get size(): number {
    return this.count;
  }

  /** Appends a newly enqueued (or quorum tail-requeued) entry. */
  push(entry: E): void {
    this.main.push(entry);
    this.count++;
  }

  /** Classic requeue: back to the entry's original position. */
  requeue(entry: E): void {
    (this.front ??= new SeqHeap<E>()).push(entry);
    this.count++;
  }

  /** Quorum requeue with a delivery limit: served before everything never delivered. */
  pushReturn(entry: E): void {
    (this.returns ??= new Ring<E>()).push(entry);
    this.count++;
  }

  /** The next entry to deliver, or undefined. */
  peek(): E | undefined {
    if (this.count === 0) return undefined;
    const front = this.front;
    if (front !== null && front.size > 0) return front.peek();
    const returns = this.returns;
    if (returns !== null && returns.size > 0) return returns.peek();
    return this.main.peek();
  }

  /** Removes and returns the next entry to deliver, or undefined. */
  shift(): E | undefined {
    if (this.count === 0) return undefined;
    this.count--;
    const front = this.front;
    if (front !== null && front.size > 0) return front.pop();
    const returns = this.returns;
    if (returns !== null && returns.size > 0) return returns.shift();
    return this.main.shift();
  }

  /** Every ready entry in delivery order, without removing them. */
  toArray(): E[] {
    const out = this.front === null ? [] : this.front.sorted();
    // A loop, not `push(...items)`: spreading 125 000 arguments overflows the stack.
    if (this.returns !== null) appendAll(out, this.returns.toArray());
    appendAll(out, this.main.toArray());
    return out;
  }

  /** Removes every entry and returns them in delivery order. */
  drain(): E[] {
    const out = this.toArray();
    this.front?.clear();
    this.returns?.clear();
    this.main.clear();
    this.count = 0;
    return out;
  }

  /** @internal For invariant checks: the never-delivered part and the requeued part. */
  parts(): { main: E[]; requeued: E[]; returned: E[] } {
    return {
      main: this.main.toArray(),
      requeued: this.front === null ? [] : this.front.sorted(),
      returned: this.returns === null ? [] : this.returns.toArray(),
    };
  }
}

/** Appends `items` to `out` one by one (no spread: any length is fine). */
function appendAll<E>(out: E[], items: readonly E[]): void {
  for (let i = 0; i < items.length; i++) out.push(items[i] as E);
}
