import { InvalidArgumentError } from "../scheduler/errors.js";
import type { Simulation } from "../scheduler/simulation.js";
import { checkNonNegative, checkOptions, checkString } from "../scheduler/validate.js";

/**
 * An idempotency store with TTL on the virtual clock: the `SETEX payment:<id>` pattern of the
 * course, a Redis on the simulation. Every call is one round trip (`latencyMs` each way).
 * `setIfAbsent` (Redis `SET key value NX PX ttl`) is atomic by default; with `atomic: false` it is
 * a GET and then a SET, two round trips apart, so two deliveries of one message can both see
 * the key absent: the race the course's handler has.
 *
 * @example
 * ```ts
 * const redis = new DedupeStore(sim, { latencyMs: 1 });
 * if (await redis.setIfAbsent(`payment:${id}`, "charging", 60_000)) await charge(id);
 * ```
 */
export class DedupeStore {
  private readonly sim: Simulation;
  private readonly entries = new Map<string, { value: string; expiresAt: number }>();
  readonly latencyMs: number;
  readonly atomic: boolean;

  constructor(sim: Simulation, options: { latencyMs?: number; atomic?: boolean } = {}) {
    checkOptions(options, ["latencyMs", "atomic"], "new DedupeStore");
    const latencyMs = options.latencyMs ?? 1;
    checkNonNegative(latencyMs, "latencyMs", "new DedupeStore");
    if (options.atomic !== undefined && typeof options.atomic !== "boolean") {
      throw new InvalidArgumentError("new DedupeStore: atomic must be a boolean.");
    }
    this.sim = sim;
    this.latencyMs = latencyMs;
    this.atomic = options.atomic ?? true;
  }

  /** The value of a live key, or null (synchronous: what the store holds now). */
  peek(key: string): string | null {
    const entry = this.entries.get(key);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.sim.now) {
      this.entries.delete(key);
      return null;
    }
    return entry.value;
  }

  /** Number of live keys. */
  get size(): number {
    let n = 0;
    for (const key of [...this.entries.keys()]) if (this.peek(key) !== null) n++;
    return n;
  }

  /** `GET key`. */
  async get(key: string): Promise<string | null> {
    checkString(key, "key", "DedupeStore.get");
    await this.sim.sleep(this.latencyMs);
    const value = this.peek(key);
    await this.sim.sleep(this.latencyMs);
    return value;
  }

  /** `SETEX key ttl value` (ttl in virtual ms). */
  async setex(key: string, ttlMs: number, value = "1"): Promise<void> {
    checkString(key, "key", "DedupeStore.setex");
    checkNonNegative(ttlMs, "ttlMs", "DedupeStore.setex");
    await this.sim.sleep(this.latencyMs);
    this.entries.set(key, { value: String(value), expiresAt: this.sim.now + ttlMs });
    await this.sim.sleep(this.latencyMs);
  }

  /** `DEL key`. */
  async del(key: string): Promise<void> {
    checkString(key, "key", "DedupeStore.del");
    await this.sim.sleep(this.latencyMs);
    this.entries.delete(key);
    await this.sim.sleep(this.latencyMs);
  }

  /**
   * `SET key value NX PX ttl`: true when this call created the key. Atomic unless the store was
   * built with `atomic: false` (then a GET and a SET, racing).
   */
  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    checkString(key, "key", "DedupeStore.setIfAbsent");
    checkNonNegative(ttlMs, "ttlMs", "DedupeStore.setIfAbsent");
    if (!this.atomic) {
      if ((await this.get(key)) !== null) return false;
      await this.setex(key, ttlMs, value);
      return true;
    }
    await this.sim.sleep(this.latencyMs);
    const created = this.peek(key) === null;
    if (created) this.entries.set(key, { value: String(value), expiresAt: this.sim.now + ttlMs });
    await this.sim.sleep(this.latencyMs);
    return created;
  }
}
