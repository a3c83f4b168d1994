import { InvariantError } from "./errors.js";

/** A scheduled callback: called with the argument it was scheduled with. */
export type TimerCallback = (arg: never) => unknown;

/**
 * An opaque number naming one scheduled timer: its slot and the slot's generation, so that a stale
 * id (the timer already fired and the slot was reused) cancels nothing.
 */
export type TimerId = number;

const SLOT_BITS = 2 ** 26; // up to 67 M timers pending at once
const GENERATIONS = 2 ** 26; // ids stay below 2^52, exact in a double
const INITIAL_CAPACITY = 64;

/**
 * The kernel's event queue: a binary min-heap keyed by (time, sequence) over typed arrays, plus a
 * FIFO ring for events due at the current time. Events scheduled for "now" are by far the most
 * common inside broker models (route, then deliver, then ack); they skip the heap entirely, and the
 * ring is merged with the heap by sequence number so that (time, sequence) order still holds.
 *
 * Callbacks and their arguments live in parallel slot arrays, so scheduling allocates nothing per
 * event once the arrays have grown. Cancellation is lazy: the slot's callback is cleared and the
 * entry is skipped when it surfaces.
 *
 * @example
 * ```ts
 * const queue = new TimerQueue();
 * queue.push(5, 0, (x: string) => console.log(x), "later");
 * queue.push(0, 0, (x: string) => console.log(x), "now");
 * while (queue.size > 0) queue.popInto(0); // prints "now", then "later"
 * ```
 */
export class TimerQueue {
  // Heap of pending (time, seq, slot) triples.
  private heapTime = new Float64Array(INITIAL_CAPACITY);
  private heapSeq = new Float64Array(INITIAL_CAPACITY);
  private heapSlot = new Int32Array(INITIAL_CAPACITY);
  private heapSize = 0;

  // Ring of entries due at the time they were pushed (the current time). A slot of -1 marks a
  // direct entry (from pushNow): its callback lives in the ring itself and it cannot be cancelled,
  // which saves the slot bookkeeping on the hottest path.
  private ringSeq = new Float64Array(INITIAL_CAPACITY);
  private ringSlot = new Int32Array(INITIAL_CAPACITY);
  private ringFn: (TimerCallback | undefined)[] = new Array(INITIAL_CAPACITY);
  private ringArg: unknown[] = new Array(INITIAL_CAPACITY);
  private ringHead = 0;
  private ringSize = 0;
  private ringTime = 0;

  // Slots: callback, argument, generation, flags.
  private slotFn: (TimerCallback | null)[] = [];
  private slotArg: unknown[] = [];
  private slotGen = new Float64Array(INITIAL_CAPACITY);
  private slotFlags = new Uint8Array(INITIAL_CAPACITY);
  private freeSlots = new Int32Array(INITIAL_CAPACITY);
  private freeCount = 0;
  private slotCount = 0;

  /** Pending entries that are not cancelled and not flagged `background`. */
  private foregroundCount = 0;
  /** Pending entries that are not cancelled. */
  private liveCount = 0;

  /** The callback of the entry last popped by {@link popInto}. */
  firedFn: TimerCallback | null = null;
  /** The argument of the entry last popped by {@link popInto}. */
  firedArg: unknown = undefined;
  /** Flags of the entry last popped. */
  firedFlags = 0;
  /** Time of the entry last popped. */
  firedTime = 0;
  /** Sequence number of the entry last popped. */
  firedSeq = 0;

  /** Number of live (not cancelled) entries, background ones included. */
  get size(): number {
    return this.liveCount;
  }

  /** Number of live entries that count as work (not flagged background: periodic timers are background). */
  get foreground(): number {
    return this.foregroundCount;
  }

  /**
   * Adds an entry. `time` must not precede an entry already popped (the caller guarantees it);
   * `seq` must increase with every push.
   */
  push(
    time: number,
    seq: number,
    fn: TimerCallback,
    arg: unknown,
    flags = 0,
    now = Number.NEGATIVE_INFINITY,
  ): TimerId {
    const slot = this.allocSlot();
    this.slotFn[slot] = fn;
    this.slotArg[slot] = arg;
    this.slotFlags[slot] = flags;
    this.liveCount++;
    if ((flags & BACKGROUND) === 0) this.foregroundCount++;
    if (time === now && (this.ringSize === 0 || this.ringTime === time)) {
      this.ringPush(seq, slot, time);
    } else {
      this.heapPush(time, seq, slot);
    }
    return (this.slotGen[slot] as number) * SLOT_BITS + slot;
  }

  /**
   * Adds an entry due at `now`, after everything already due then. It gets no id and cannot be
   * cancelled; in exchange it costs a few array writes.
   */
  pushNow(now: number, seq: number, fn: TimerCallback, arg: unknown): void {
    if (this.ringSize > 0 && this.ringTime !== now) {
      this.push(now, seq, fn, arg, 0, now);
      return;
    }
    if (this.ringSize === this.ringSeq.length) this.growRing();
    const at = (this.ringHead + this.ringSize) & (this.ringSeq.length - 1);
    this.ringSeq[at] = seq;
    this.ringSlot[at] = -1;
    this.ringFn[at] = fn;
    this.ringArg[at] = arg;
    this.ringTime = now;
    this.ringSize++;
    this.liveCount++;
    this.foregroundCount++;
  }

  /** Cancels an entry by id. Returns false when it already fired or was cancelled. */
  cancel(id: TimerId): boolean {
    const slot = id % SLOT_BITS;
    const gen = (id - slot) / SLOT_BITS;
    if (slot >= this.slotCount || this.slotGen[slot] !== gen || this.slotFn[slot] == null) return false;
    this.slotFn[slot] = null;
    this.slotArg[slot] = undefined;
    this.liveCount--;
    if ((this.slotFlags[slot]! & BACKGROUND) === 0) this.foregroundCount--;
    return true;
  }

  /** True when the id names an entry that has neither fired nor been cancelled. */
  isPending(id: TimerId): boolean {
    const slot = id % SLOT_BITS;
    const gen = (id - slot) / SLOT_BITS;
    return slot < this.slotCount && this.slotGen[slot] === gen && this.slotFn[slot] != null;
  }

  /** Time of the earliest live entry, or +Infinity when there is none. Drops cancelled heads. */
  peekTime(): number {
    for (;;) {
      if (this.ringSize > 0) {
        const slot = this.ringSlot[this.ringHead]!;
        if (slot >= 0 && this.slotFn[slot] == null) {
          this.ringShift();
          this.releaseSlot(slot);
          continue;
        }
      }
      if (this.heapSize > 0) {
        const slot = this.heapSlot[0]!;
        if (this.slotFn[slot] == null) {
          this.heapPop();
          this.releaseSlot(slot);
          continue;
        }
      }
      if (this.ringSize > 0) {
        // Ring entries share one time; a heap entry can only tie it, never precede it.
        return this.ringTime;
      }
      return this.heapSize > 0 ? this.heapTime[0]! : Number.POSITIVE_INFINITY;
    }
  }

  /**
   * Removes the next live entry whose time is ≤ `limit` and exposes it through the `fired*`
   * fields. Returns false (and changes nothing) when there is none.
   */
  popInto(limit: number): boolean {
    for (;;) {
      let fromRing: boolean;
      if (this.ringSize > 0) {
        if (this.heapSize > 0) {
          const heapTime = this.heapTime[0]!;
          fromRing =
            this.ringTime < heapTime ||
            (this.ringTime === heapTime && this.ringSeq[this.ringHead]! < this.heapSeq[0]!);
        } else {
          fromRing = true;
        }
      } else if (this.heapSize > 0) {
        fromRing = false;
      } else {
        return false;
      }
      let slot: number;
      if (fromRing) {
        if (this.ringTime > limit) return false;
        const head = this.ringHead;
        slot = this.ringSlot[head]!;
        this.firedTime = this.ringTime;
        this.firedSeq = this.ringSeq[head]!;
        this.ringShift();
        if (slot < 0) {
          this.firedFn = this.ringFn[head]!;
          this.firedArg = this.ringArg[head];
          this.firedFlags = 0;
          this.ringFn[head] = undefined;
          this.ringArg[head] = undefined;
          this.liveCount--;
          this.foregroundCount--;
          return true;
        }
      } else {
        if (this.heapTime[0]! > limit) return false;
        slot = this.heapSlot[0]!;
        this.firedTime = this.heapTime[0]!;
        this.firedSeq = this.heapSeq[0]!;
        this.heapPop();
      }
      const fn = this.slotFn[slot];
      if (fn == null) {
        this.releaseSlot(slot);
        continue;
      }
      this.firedFn = fn;
      this.firedArg = this.slotArg[slot];
      this.firedFlags = this.slotFlags[slot]!;
      this.slotFn[slot] = null;
      this.slotArg[slot] = undefined;
      this.liveCount--;
      if ((this.firedFlags & BACKGROUND) === 0) this.foregroundCount--;
      this.releaseSlot(slot);
      return true;
    }
  }

  /** Live entries in (time, seq) order, for diagnostics; O(n log n). */
  snapshot(): { time: number; seq: number; fn: TimerCallback; arg: unknown; flags: number }[] {
    const out: { time: number; seq: number; fn: TimerCallback; arg: unknown; flags: number }[] = [];
    for (let i = 0; i < this.heapSize; i++) {
      const slot = this.heapSlot[i]!;
      const fn = this.slotFn[slot];
      if (fn != null) {
        out.push({
          time: this.heapTime[i]!,
          seq: this.heapSeq[i]!,
          fn,
          arg: this.slotArg[slot],
          flags: this.slotFlags[slot]!,
        });
      }
    }
    for (let i = 0; i < this.ringSize; i++) {
      const at = (this.ringHead + i) & (this.ringSeq.length - 1);
      const slot = this.ringSlot[at]!;
      if (slot < 0) {
        out.push({
          time: this.ringTime,
          seq: this.ringSeq[at]!,
          fn: this.ringFn[at]!,
          arg: this.ringArg[at],
          flags: 0,
        });
        continue;
      }
      const fn = this.slotFn[slot];
      if (fn != null) {
        out.push({
          time: this.ringTime,
          seq: this.ringSeq[at]!,
          fn,
          arg: this.slotArg[slot],
          flags: this.slotFlags[slot]!,
        });
      }
    }
    out.sort((a, b) => a.time - b.time || a.seq - b.seq);
    return out;
  }

  /** Checks the heap property and the counters; throws {@link InvariantError} when broken. For tests. */
  checkInvariants(): void {
    for (let i = 1; i < this.heapSize; i++) {
      const parent = (i - 1) >> 1;
      if (less(this.heapTime, this.heapSeq, i, parent)) {
        throw new InvariantError(`timer heap order broken at index ${i}`);
      }
    }
    let live = 0;
    let foreground = 0;
    for (const entry of this.snapshot()) {
      live++;
      if ((entry.flags & BACKGROUND) === 0) foreground++;
    }
    if (live !== this.liveCount || foreground !== this.foregroundCount) {
      throw new InvariantError(
        `timer counters drifted: live ${this.liveCount} vs ${live}, foreground ${this.foregroundCount} vs ${foreground}`,
      );
    }
  }

  private allocSlot(): number {
    if (this.freeCount > 0) return this.freeSlots[--this.freeCount]!;
    const slot = this.slotCount++;
    if (slot >= SLOT_BITS) throw new InvariantError(`more than ${SLOT_BITS} timers pending`);
    if (slot >= this.slotGen.length) {
      this.slotGen = grow(this.slotGen, slot + 1);
      this.slotFlags = grow(this.slotFlags, slot + 1);
    }
    this.slotFn.push(null);
    this.slotArg.push(undefined);
    return slot;
  }

  private releaseSlot(slot: number): void {
    this.slotGen[slot] = (this.slotGen[slot]! + 1) % GENERATIONS;
    if (this.freeCount >= this.freeSlots.length) this.freeSlots = grow(this.freeSlots, this.freeCount + 1);
    this.freeSlots[this.freeCount++] = slot;
  }

  private ringPush(seq: number, slot: number, time: number): void {
    if (this.ringSize === this.ringSeq.length) this.growRing();
    const at = (this.ringHead + this.ringSize) & (this.ringSeq.length - 1);
    this.ringSeq[at] = seq;
    this.ringSlot[at] = slot;
    this.ringTime = time;
    this.ringSize++;
  }

  private ringShift(): void {
    this.ringHead = (this.ringHead + 1) & (this.ringSeq.length - 1);
    this.ringSize--;
  }

  private growRing(): void {
    const capacity = this.ringSeq.length * 2;
    const seq = new Float64Array(capacity);
    const slot = new Int32Array(capacity);
    const fns: (TimerCallback | undefined)[] = new Array(capacity);
    const args: unknown[] = new Array(capacity);
    for (let i = 0; i < this.ringSize; i++) {
      const from = (this.ringHead + i) & (this.ringSeq.length - 1);
      seq[i] = this.ringSeq[from]!;
      slot[i] = this.ringSlot[from]!;
      fns[i] = this.ringFn[from];
      args[i] = this.ringArg[from];
    }
    this.ringSeq = seq;
    this.ringSlot = slot;
    this.ringFn = fns;
    this.ringArg = args;
    this.ringHead = 0;
  }

  private heapPush(time: number, seq: number, slot: number): void {
    if (this.heapSize === this.heapTime.length) {
      this.heapTime = grow(this.heapTime, this.heapSize + 1);
      this.heapSeq = grow(this.heapSeq, this.heapSize + 1);
      this.heapSlot = grow(this.heapSlot, this.heapSize + 1);
    }
    const times = this.heapTime;
    const seqs = this.heapSeq;
    const slots = this.heapSlot;
    let i = this.heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pt = times[parent]!;
      if (pt < time || (pt === time && seqs[parent]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[parent]!;
      slots[i] = slots[parent]!;
      i = parent;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  private heapPop(): void {
    const size = --this.heapSize;
    if (size === 0) return;
    const times = this.heapTime;
    const seqs = this.heapSeq;
    const slots = this.heapSlot;
    const time = times[size]!;
    const seq = seqs[size]!;
    const slot = slots[size]!;
    let i = 0;
    const half = size >> 1;
    while (i < half) {
      let child = 2 * i + 1;
      let ct = times[child]!;
      let cs = seqs[child]!;
      const right = child + 1;
      if (right < size) {
        const rt = times[right]!;
        if (rt < ct || (rt === ct && seqs[right]! < cs)) {
          child = right;
          ct = rt;
          cs = seqs[right]!;
        }
      }
      if (time < ct || (time === ct && seq < cs)) break;
      times[i] = ct;
      seqs[i] = cs;
      slots[i] = slots[child]!;
      i = child;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }
}

/** Entry flag: does not count as work for `run()` (periodic and cron timers). */
export const BACKGROUND = 1;
/** Entry flag: a kernel-internal entry (sleep wake-ups, periodic trampolines) rather than a user callback. */
export const INTERNAL = 2;

function less(times: Float64Array, seqs: Float64Array, a: number, b: number): boolean {
  return times[a]! < times[b]! || (times[a] === times[b] && seqs[a]! < seqs[b]!);
}

function grow<T extends Float64Array | Int32Array | Uint8Array>(array: T, minimum: number): T {
  let capacity = array.length * 2;
  while (capacity < minimum) capacity *= 2;
  const next = new (array.constructor as new (n: number) => T)(capacity);
  next.set(array);
  return next;
}
