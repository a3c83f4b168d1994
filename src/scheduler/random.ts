import { describeValue } from "./describe-value.js";
import { InvalidArgumentError } from "./errors.js";
import { checkFinite, checkInteger, checkString } from "./validate.js";

/**
 * A seeded pseudo-random source with named, independent streams.
 *
 * Algorithm: each stream is an **sfc32** generator (Chris Doty-Humphrey's Small Fast Chaotic PRNG,
 * 128 bits of state, from PractRand), seeded by hashing the root seed together with the stream's
 * fork path (`"root/faults/network"`) with **cyrb128** and discarding the first 12 outputs.
 * `float()` takes 53 bits from two outputs; `int()` rejects to stay unbiased; `normal()` uses the
 * Box–Muller transform (one of the two values, so each draw uses exactly two floats and streams
 * stay aligned); `exponential(mean)` inverts the CDF.
 *
 * A forked stream depends only on the root seed and its path, never on how many numbers other
 * streams have drawn: adding a fault (which draws from `fork("faults")`) shifts no other choice.
 *
 * Naming rules (what makes two streams the same):
 * - **Streams are named, not numbered.** The same path always gives the same numbers, so name a
 *   stream by what the user named (a client id, a queue name, a vhost), never by creation order
 *   or a counter: a counter in a name (`"client:3"`) makes every stream after it shift when an
 *   unrelated object is created first.
 * - **`fork("a/b")` is not `fork("a").fork("b")`.** A `/` (and `%`) inside a name is escaped in
 *   the path (`"root/a%2Fb"` vs `"root/a/b"`), so a user-given name can never alias a nested
 *   stream. Names without `/` or `%` appear in the path as they are.
 * - **Seed `1` equals seed `"1"`.** A number seed is used as its decimal text (`String(seed)`),
 *   so `1`, `1.0` and `"1"` give the same run, and `-0` the same as `0`; `"01"` and `1` differ.
 *   This is kept on purpose so that a seed read back from a log line or an environment variable
 *   (text) replays the run that printed it (a number).
 *
 * @example
 * ```ts
 * const random = new RandomSource(42);
 * const serviceMs = random.exponential(20);
 * const faults = random.fork("faults");
 * if (faults.bernoulli(0.01)) crashConsumer();
 * ```
 */
export class RandomSource {
  /** The stream's path: `"root"`, `"root/faults"`, … */
  readonly path: string;
  private readonly seedText: string;
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly forks = new Map<string, RandomSource>();

  /**
   * @param seed the root seed; a number is used as its decimal text (`1` and `"1"` are the same seed).
   * @param path the stream's path, `"root"` for a root source; {@link fork} builds the others.
   */
  constructor(seed: number | string = 1, path = "root") {
    if (typeof seed === "number") checkFinite(seed, "seed", "RandomSource");
    else checkString(seed, "seed", "RandomSource");
    checkString(path, "path", "RandomSource", true);
    this.seedText = String(seed);
    this.path = path;
    const [a, b, c, d] = cyrb128(`${this.seedText}\u0000${path}`);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /**
   * The independent stream named `name` under this one. The same name always returns the same
   * stream object, so every part of a model that asks for `"faults"` shares one stream. A `/` in
   * `name` does not nest: `fork("a/b")` and `fork("a").fork("b")` are different streams.
   */
  fork(name: string): RandomSource {
    checkString(name, "name", "RandomSource.fork", true);
    let stream = this.forks.get(name);
    if (stream === undefined) {
      stream = new RandomSource(this.seedText, `${this.path}/${escapeSegment(name)}`);
      this.forks.set(name, stream);
    }
    return stream;
  }

  /** The next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const a = this.a;
    const b = this.b;
    const c = this.c;
    const d = this.d;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const rotated = (c << 21) | (c >>> 11);
    this.c = (rotated + t) | 0;
    return t >>> 0;
  }

  /** A float uniform in [0, 1) with 53 bits of precision. */
  float(): number {
    const high = this.nextUint32() >>> 5; // 27 bits
    const low = this.nextUint32() >>> 6; // 26 bits
    return (high * 67108864 + low) / 9007199254740992;
  }

  /** A uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    checkInteger(min, "min", "RandomSource.int");
    checkInteger(max, "max", "RandomSource.int");
    if (max < min) throw new InvalidArgumentError(`RandomSource.int: max (${max}) is below min (${min}).`);
    const range = max - min + 1;
    if (range <= 0x1_0000_0000) {
      // Reject the top partial bucket so every value is equally likely.
      const limit = 0x1_0000_0000 - (0x1_0000_0000 % range);
      for (;;) {
        const x = this.nextUint32();
        if (x < limit) return min + (x % range);
      }
    }
    return min + Math.floor(this.float() * range);
  }

  /** True with probability `p` (0 ≤ p ≤ 1). */
  bernoulli(p: number): boolean {
    if (typeof p !== "number" || !(p >= 0 && p <= 1)) {
      throw new InvalidArgumentError(
        `RandomSource.bernoulli: p must be a probability in [0, 1], got ${describeValue(p)}.`,
      );
    }
    return this.float() < p;
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (!Array.isArray(items) || items.length === 0) {
      throw new InvalidArgumentError("RandomSource.pick: items must be a non-empty array.");
    }
    return items[this.int(0, items.length - 1)] as T;
  }

  /** Shuffles the array in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    if (!Array.isArray(items))
      throw new InvalidArgumentError("RandomSource.shuffle: items must be an array.");
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }

  /** An exponentially distributed value with the given mean (> 0): inter-arrival times of a Poisson process. */
  exponential(mean: number): number {
    if (typeof mean !== "number" || !Number.isFinite(mean) || mean <= 0) {
      throw new InvalidArgumentError(
        `RandomSource.exponential: mean must be a finite number > 0, got ${describeValue(mean)}.`,
      );
    }
    return -mean * Math.log(1 - this.float());
  }

  /** A normally distributed value (Box–Muller). */
  normal(mean = 0, stdDev = 1): number {
    checkFinite(mean, "mean", "RandomSource.normal");
    if (typeof stdDev !== "number" || !Number.isFinite(stdDev) || stdDev < 0) {
      throw new InvalidArgumentError(
        `RandomSource.normal: stdDev must be a finite number ≥ 0, got ${describeValue(stdDev)}.`,
      );
    }
    const u1 = 1 - this.float(); // (0, 1]: log stays finite
    const u2 = this.float();
    return mean + stdDev * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /**
   * A log-normally distributed value: `exp(normal(mu, sigma))`. Service times are often modelled
   * this way: `mu = ln(median)`.
   */
  lognormal(mu: number, sigma: number): number {
    return Math.exp(this.normal(mu, sigma));
  }
}

/**
 * A fork name as one path segment: `%` and `/` percent-encoded, so that no name can spell a nested
 * path. Names with neither (all of brokerlab's own) are unchanged, and so are their streams.
 */
function escapeSegment(name: string): string {
  if (!name.includes("/") && !name.includes("%")) return name;
  return name.replaceAll("%", "%25").replaceAll("/", "%2F");
}

/** cyrb128: a fast 128-bit string hash (public domain, bryc). Used only to seed streams. */
function cyrb128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}
