import type { RepeatingHandle, Simulation } from "../scheduler/simulation.js";

/** A period long enough never to come round again: the timer stops itself before it could. */
const NEVER_AGAIN_MS = 1e15;

/**
 * A one-shot **background** timer: like `sim.at(time, fn)`, but `run()` does not wait for it.
 * Heartbeats, session expiry and poll-interval checks re-arm themselves forever while clients
 * live, so they must not count as pending work. Built on `sim.every`, which is the kernel's
 * background primitive; the callback stops the repetition before it runs.
 *
 * @example
 * ```ts
 * const check = backgroundAt(sim, sim.now + 45_000, () => expireIfSilent(), "session timeout");
 * check.stop(); // cancel
 * ```
 */
export function backgroundAt(sim: Simulation, time: number, fn: () => void, label: string): RepeatingHandle {
  const handle = sim.every(
    NEVER_AGAIN_MS,
    () => {
      handle.stop();
      fn();
    },
    { firstDelayMs: Math.max(0, time - sim.now), label },
  );
  return handle;
}
