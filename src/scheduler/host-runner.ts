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

/** A promise that resolves in the next macrotask, after every pending promise callback has run. */
export function macrotaskBoundary(): Promise<void> {
  return new Promise<void>((resolve) => macrotask(resolve));
}

/** A promise that resolves after `ms` of wall-clock time (a real timer). */
export function wallDelay(ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    realSetTimeout(resolve, ms);
  });
}

/** A real timer; returns a function that cancels it. */
export function wallTimer(fn: Callback, ms: number): () => void {
  const handle = realSetTimeout(fn, ms);
  return () => realClearTimeout(handle);
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

/** Host resources that mean "outside work is in flight and may resume a promise": I/O requests. */
const IO_RESOURCES = new Set([
  "FSReqCallback",
  "FSReqPromise",
  "FileHandleCloseReq",
  "GetAddrInfoReqWrap",
  "GetNameInfoReqWrap",
  "QueryReqWrap",
  "TCPConnectWrap",
  "PipeConnectWrap",
  "ShutdownWrap",
  "WriteWrap",
  "Immediate",
]);

/**
 * How many host resources that could resume a promise are in flight: I/O requests and immediates,
 * plus real timers when `includeTimers` is set. Null where the host cannot tell (browsers, Deno).
 * Node's `process.getActiveResourcesInfo()` lists only what keeps the event loop alive.
 */
export function hostPendingWork(includeTimers: boolean): number | null {
  const proc = (globalThis as { process?: { getActiveResourcesInfo?: () => string[] } }).process;
  const info = proc?.getActiveResourcesInfo;
  if (typeof info !== "function") return null;
  let count = 0;
  for (const kind of info.call(proc)) {
    if (IO_RESOURCES.has(kind) || (includeTimers && kind === "Timeout")) count++;
  }
  return count;
}
