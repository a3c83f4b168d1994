/**
 * A growable FIFO ring buffer (a double-ended queue over a power-of-two array). `push`, `shift`,
 * `unshift` and `peek` are O(1) and allocate nothing once the array has grown, which is why queues
 * keep their ready messages and their consumers in rings rather than in arrays that `shift()`.
 *
 * @example
 * ```ts
 * const ring = new Ring<string>();
 * ring.push("b");
 * ring.unshift("a");
 * ring.shift(); // "a"
 * ring.size; // 1
 * ```
 */
export class Ring<T> {
  private items: (T | undefined)[];
  private head = 0;
  private count = 0;
  private mask: number;

  /** @param capacity initial capacity, rounded up to a power of two. */
  constructor(capacity = 16) {
    let size = 4;
    while (size < capacity) size *= 2;
    this.items = new Array<T | undefined>(size);
    this.mask = size - 1;
  }

  /** Number of items held. */
  get size(): number {
    return this.count;
  }

  /** Adds at the tail. */
  push(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.items[(this.head + this.count) & this.mask] = item;
    this.count++;
  }

  /** Adds at the head. */
  unshift(item: T): void {
    if (this.count === this.items.length) this.grow();
    this.head = (this.head - 1) & this.mask;
    this.items[this.head] = item;
    this.count++;
  }

  /** Removes and returns the head, or undefined when empty. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const head = this.head;
    const item = this.items[head];
    this.items[head] = undefined;
    this.head = (head + 1) & this.mask;
    this.count--;
    return item;
  }

  /** The head without removing it, or undefined when empty. */
  peek(): T | undefined {
    return this.count === 0 ? undefined : this.items[this.head];
  }

  /** The item at position `index` from the head (0 = head), or undefined out of range. */
  at(index: number): T | undefined {
    if (index < 0 || index >= this.count) return undefined;
    return this.items[(this.head + index) & this.mask];
  }

  /** Removes the first occurrence of `item` (O(n)); returns whether it was there. */
  remove(item: T): boolean {
    for (let i = 0; i < this.count; i++) {
      if (this.items[(this.head + i) & this.mask] !== item) continue;
      for (let j = i; j < this.count - 1; j++) {
        this.items[(this.head + j) & this.mask] = this.items[(this.head + j + 1) & this.mask];
      }
      this.items[(this.head + this.count - 1) & this.mask] = undefined;
      this.count--;
      return true;
    }
    return false;
  }

  /** Removes everything. */
  clear(): void {
    this.items.fill(undefined);
    this.head = 0;
    this.count = 0;
  }

  /** The items from head to tail, as a new array. */
  toArray(): T[] {
    const out = new Array<T>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.items[(this.head + i) & this.mask] as T;
    return out;
  }

  private grow(): void {
    const old = this.items;
    const size = old.length * 2;
    const next = new Array<T | undefined>(size);
    for (let i = 0; i < this.count; i++) next[i] = old[(this.head + i) & this.mask];
    this.items = next;
    this.head = 0;
    this.mask = size - 1;
  }
}
