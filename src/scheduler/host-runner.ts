/**
 * The host adapter: the only place in the kernel that touches the host's real event loop and wall
 * clock (the CLI aside). Everything here is captured when the module loads, so a test that later
 * installs fake timers (`vi.useFakeTimers()`, `sim.installTimers()`) cannot stop the kernel's own
 * macrotask boundaries from firing.
 *
 * Why a macrotask: JavaScript drains the whole microtask queue before the next macrotask runs, so
 * reaching one is an exact "every promise continuation that could run has run" signal, whatever the
 * depth of the `await` chains in between.
 *
 * @example
 * ```ts
 * await macrotaskBoundary(); // every pending promise callback has run by now
 * ```
 */

type Callback = () => void;

interface HostGlobals {
  setImmediate?: (fn: Callback) => unknown;
  setTimeout: (fn: Callback, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
  MessageChannel?: new () => {
    port1: { onmessage: ((event: unknown) => void) | null; unref?: () => void };
    port2: { postMessage(message: unknown): void; unref?: () => void };
  };
  performance?: { now(): number; timeOrigin?: number };
}

const host = globalThis as unknown as HostGlobals;
const realSetImmediate = typeof host.setImmediate === "function" ? host.setImmediate.bind(globalThis) : null;
const realSetTimeout = host.setTimeout.bind(globalThis);
const realClearTimeout = host.clearTimeout.bind(globalThis);
const realDateNow = Date.now.bind(Date);

/**
 * Queues `fn` as a macrotask: `setImmediate` where it exists (Node, Bun), else a `MessageChannel`
 * message (browsers, Deno), else `setTimeout(fn, 0)`. Callbacks run in the order queued.
 */
export const macrotask: (fn: Callback) => void = pickMacrotask();

function pickMacrotask(): (fn: Callback) => void {
  if (realSetImmediate !== null) {
    const immediate = realSetImmediate;
    return (fn) => {
      immediate(fn);
    };
  }
  if (typeof host.MessageChannel === "function") {
    const channel = new host.MessageChannel();
    const pending: Callback[] = [];
    let head = 0;
    channel.port1.onmessage = () => {
      const fn = pending[head];
      pending[head++] = undefined as unknown as Callback;
      if (head === pending.length) {
        pending.length = 0;
        head = 0;
      }
      fn?.();
    };
    // A port with no message in flight must not keep a host alive.
    channel.port1.unref?.();
    channel.port2.unref?.();
    return (fn) => {
      pending.push(fn);
      channel.port2.postMessage(null);
    };
  }
  return (fn) => {
    realSetTimeout(fn, 0);
  };
}

/**
 * Immediates queued ahead for {@link macrotaskBoundary}. Node drains the whole microtask queue
 * between two immediate callbacks of one check phase, so each callback of a batch queued at once
 * is an exact boundary too, without a full event-loop iteration (an `epoll_wait`) per boundary:
 * 4–6 M boundaries/s against 1.4 M/s for one fresh `setImmediate` each.
 */
const BOUNDARY_BATCH = 32;
let boundariesQueued = 0;
let boundaryWaiters: Callback[] = [];
let spareWaiters: Callback[] = [];

function boundaryTick(): void {
  boundariesQueued--;
  const ready = boundaryWaiters;
  if (ready.length === 0) return;
  boundaryWaiters = spareWaiters;
  spareWaiters = ready;
  for (let i = 0; i < ready.length; i++) ready[i]!();
  ready.length = 0;
}

/**
 * A promise that resolves in a later macrotask, after every pending promise callback has run.
 * Where `setImmediate` exists it rides on a batch of immediates queued ahead, so it may resolve
 * before a `setImmediate` the program queues meanwhile: to let such a hop run first, wait for
 * {@link hostTurn}.
 */
export function macrotaskBoundary(): Promise<void> {
  if (realSetImmediate === null) return new Promise<void>((resolve) => macrotask(resolve));
  return new Promise<void>((resolve) => {
    boundaryWaiters.push(resolve);
    if (boundariesQueued === 0) {
      boundariesQueued = BOUNDARY_BATCH;
      for (let i = 0; i < BOUNDARY_BATCH; i++) realSetImmediate(boundaryTick);
    }
  });
}

/**
 * A promise that resolves in a fresh macrotask queued now: after every macrotask the program has
 * already queued (a `setImmediate` hop, an I/O callback that is due) has run.
 */
export function hostTurn(): Promise<void> {
  return new Promise<void>((resolve) => macrotask(resolve));
}

/** A promise that resolves after `ms` of wall-clock time (a real timer). */
export function wallDelay(ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    realSetTimeout(resolve, ms);
  });
}

/**
 * A real timer; returns a function that cancels it. With `holdHost: false` the timer does not keep
 * the host alive (Node's `unref`): a runner waiting for the wall clock must let a finished program
 * exit, and must not show up in {@link hostPendingWork} as the program's own timer.
 */
export function wallTimer(fn: Callback, ms: number, holdHost = true): () => void {
  const handle = realSetTimeout(fn, ms);
  if (!holdHost) (handle as { unref?: () => void } | null)?.unref?.();
  return () => realClearTimeout(handle);
}

/**
 * Keeps the host's event loop alive without a timer, an I/O request or any CPU: an open
 * `MessageChannel` port with a listener (Node lists it as a `MessagePort`, which
 * {@link hostOutsideWork} does not count). What an open client socket does for a real program.
 * Returns the function that lets go; a no-op where the host has no `MessageChannel`.
 *
 * @example
 * ```ts
 * const release = hostKeepAlive(); // the process stays up
 * release(); // it may exit again
 * ```
 */
export function hostKeepAlive(): () => void {
  const Channel = host.MessageChannel;
  if (typeof Channel !== "function") return () => {};
  const channel = new Channel() as unknown as {
    port1: { onmessage: ((event: unknown) => void) | null; close?: () => void };
    port2: { close?: () => void };
  };
  channel.port1.onmessage = () => {};
  return () => {
    channel.port1.onmessage = null;
    channel.port1.close?.();
    channel.port2.close?.();
  };
}

/** The wall clock, in epoch milliseconds (captured before any fake timers were installed). */
export function wallClockMs(): number {
  return realDateNow();
}

/** A monotonic wall clock in milliseconds, for measuring durations. */
export function wallElapsedMs(): number {
  const perf = host.performance;
  return perf !== undefined ? perf.now() : realDateNow();
}

/**
 * Host resources that mean "outside work is in flight and may resume a promise": I/O requests
 * (libuv requests: `FSReqPromise`, `CloseReq`, `GetAddrInfoReqWrap`, `WriteWrap`, …) and
 * immediates. Long-lived handles (sockets, servers, stdio, signal watchers) are not requests: an
 * idle socket resumes nothing by itself.
 */
function isIoRequest(kind: string): boolean {
  return (
    kind === "Immediate" ||
    kind === "WriteWrap" ||
    kind === "ShutdownWrap" ||
    kind === "TCPConnectWrap" ||
    kind === "PipeConnectWrap" ||
    kind.endsWith("Req") ||
    kind.endsWith("ReqWrap") ||
    kind.endsWith("ReqCallback") ||
    kind.endsWith("ReqPromise")
  );
}

function activeResources(): string[] | null {
  const proc = (globalThis as { process?: { getActiveResourcesInfo?: () => string[] } }).process;
  const info = proc?.getActiveResourcesInfo;
  return typeof info === "function" ? info.call(proc) : null;
}

/**
 * How many host resources that could resume a promise are in flight: I/O requests and immediates,
 * plus real timers when `includeTimers` is set. Null where the host cannot tell (browsers, Deno).
 * Node's `process.getActiveResourcesInfo()` lists only what keeps the event loop alive.
 */
export function hostPendingWork(includeTimers: boolean): number | null {
  const kinds = activeResources();
  if (kinds === null) return null;
  let count = 0;
  for (const kind of kinds) {
    if (isIoRequest(kind) || (includeTimers && kind === "Timeout")) count++;
  }
  // The boundary batch's spare immediates are the kernel's own, not outside work.
  return Math.max(0, count - boundariesQueued);
}

/**
 * True when the program may be hopping through real macrotasks right now: an immediate of its own
 * or an I/O request is in flight (the kernel's boundary batch aside). Unknown hosts (browsers,
 * Deno) say true, so the caller keeps granting turns as it would without this check.
 */
export function hostMayHop(): boolean {
  const pending = hostPendingWork(false);
  return pending === null || pending > 0;
}

/**
 * How many of the program's own real timers (Node's ref'd `Timeout`s) and I/O requests are
 * pending: things outside the simulation that will run program code later. Immediates are left
 * out — every auto runner queues them, so counting them would make two simulations wait on each
 * other — and so are unref'd timers (the runners' own wall-clock waits). Null where the host cannot
 * tell (browsers, Deno). The auto runner lets virtual time follow the wall clock while this is
 * non-zero and only background work is left.
 */
export function hostOutsideWork(): number | null {
  const kinds = activeResources();
  if (kinds === null) return null;
  let count = 0;
  for (const kind of kinds) {
    if (kind === "Timeout" || (kind !== "Immediate" && isIoRequest(kind))) count++;
  }
  return count;
}
