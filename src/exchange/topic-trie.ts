import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";

/**
 * One trie node. A binding word `*` or `#` is always a wildcard, so a literal edge can never be
 * labelled `*` or `#`; keeping the wildcard edges out of the literal map lets a routing word `*`
 * (ordinary text) miss the literal map naturally.
 */
interface TrieNode<T> {
  literal: Map<string, TrieNode<T>> | null;
  star: TrieNode<T> | null;
  hash: TrieNode<T> | null;
  /** Values whose binding key ends exactly here. */
  values: Set<T> | null;
  /** Reached through a `#` edge, so it may swallow one more routing word and stay where it is. */
  readonly isHash: boolean;
  /**
   * Generation stamps indexed by routing-word position, marking (node, position) pairs already
   * explored in the current match. Only nodes at or below a `#` need them: without a `#` on the
   * path every edge consumes exactly one word, so such a node is reachable at one position only.
   */
  readonly seen: number[] | null;
}

function newNode<T>(isHash: boolean, belowHash: boolean): TrieNode<T> {
  return { literal: null, star: null, hash: null, values: null, isHash, seen: belowHash ? [] : null };
}

function isEmptyNode<T>(node: TrieNode<T>): boolean {
  return node.values === null && node.literal === null && node.star === null && node.hash === null;
}

// The empty key is zero words in RabbitMQ, although "".split(".") would give one empty word.
/** Refuses a key that is not a string (the trie's public methods take only strings). */
function checkKey(key: unknown, name: string, where: string): void {
  if (typeof key !== "string") {
    throw new InvalidArgumentError(`${where}: ${name} must be a string, got ${describeValue(key)}.`);
  }
}

function splitKey(key: string): string[] {
  return key === "" ? [] : key.split(".");
}

/**
 * The bindings of one topic exchange, as a trie over dot-separated words, with RabbitMQ 3.10's
 * matching rules:
 * - the empty key is zero words; any other key is cut at every `.`, keeping empty words
 *   (`a..b` has an empty middle word, `.x` an empty first word);
 * - in a binding key, the whole word `*` matches exactly one word (which may be empty), the whole
 *   word `#` matches zero or more words (any number of `#` is allowed), and any other word,
 *   `a#b` and `a*` included, matches only itself;
 * - in a routing key `*` and `#` are ordinary text.
 *
 * `match` walks the trie once per routing key: it splits the key into a reused word buffer and
 * explores each (node, word position) pair at most once, so its cost is bounded by
 * nodes × words however many `#` a binding has, and it allocates nothing else once warm.
 * Keys are not length-checked here; callers validate them with `checkRoutingKey`.
 *
 * @example
 * ```ts
 * const trie = new TopicTrie<string>();
 * trie.add("stock.*.nyse", "q1");
 * trie.add("log.#", "q2");
 * trie.add("#", "q3");
 * const out = new Set<string>();
 * trie.match("stock.ibm.nyse", out); // out = {"q1", "q3"}
 * out.clear();
 * trie.match("log", out); // out = {"q2", "q3"}: a trailing # may take nothing
 * ```
 */
export class TopicTrie<T> {
  private root: TrieNode<T> = newNode(false, false);
  private bindingCount = 0;
  /** Incremented per match, so stale `seen` stamps never need clearing. */
  private generation = 0;
  // Reused across matches so that routing allocates only the word strings themselves.
  private readonly words: string[] = [];
  private readonly stackNodes: TrieNode<T>[] = [];
  private readonly stackPositions: number[] = [];

  /**
   * (node, word position) pairs the last {@link match} expanded. With the memo it is at most
   * nodes × (words + 1); tests use it to prove `#` handling stays polynomial without timing anything.
   */
  lastMatchVisits = 0;

  /** The number of distinct (binding key, value) pairs held. */
  get size(): number {
    return this.bindingCount;
  }

  /**
   * Binds `value` under `bindingKey`. Returns false, changing nothing, when that exact pair is
   * already present (the same value under another key is a different pair).
   *
   * @example
   * ```ts
   * trie.add("a.*", "q1"); // true
   * trie.add("a.*", "q1"); // false: already bound
   * ```
   */
  add(bindingKey: string, value: T): boolean {
    checkKey(bindingKey, "bindingKey", "TopicTrie.add");
    let node = this.root;
    for (const word of splitKey(bindingKey)) {
      const belowHash = node.seen !== null;
      if (word === "*") {
        node = node.star ??= newNode(false, belowHash);
      } else if (word === "#") {
        node = node.hash ??= newNode(true, true);
      } else {
        const literal = (node.literal ??= new Map());
        let child = literal.get(word);
        if (child === undefined) {
          child = newNode(false, belowHash);
          literal.set(word, child);
        }
        node = child;
      }
    }
    const values = (node.values ??= new Set());
    if (values.has(value)) return false;
    values.add(value);
    this.bindingCount++;
    return true;
  }

  /**
   * Unbinds `value` from `bindingKey`, pruning nodes left empty. Returns false, changing nothing,
   * when that pair is not present.
   *
   * @example
   * ```ts
   * trie.add("a.#", "q1");
   * trie.remove("a.#", "q1"); // true
   * trie.remove("a.#", "q1"); // false
   * ```
   */
  remove(bindingKey: string, value: T): boolean {
    checkKey(bindingKey, "bindingKey", "TopicTrie.remove");
    const words = splitKey(bindingKey);
    const path: TrieNode<T>[] = [this.root];
    let node: TrieNode<T> | null | undefined = this.root;
    for (const word of words) {
      node = word === "*" ? node.star : word === "#" ? node.hash : node.literal?.get(word);
      if (node === null || node === undefined) return false;
      path.push(node);
    }
    if (node.values === null || !node.values.delete(value)) return false;
    if (node.values.size === 0) node.values = null;
    this.bindingCount--;
    // Prune bottom-up so that a long-lived exchange with churning bindings does not accumulate
    // dead branches that every match would still walk.
    for (let depth = words.length; depth > 0; depth--) {
      const child = path[depth]!;
      if (!isEmptyNode(child)) break;
      const parent = path[depth - 1]!;
      const word = words[depth - 1]!;
      if (word === "*") {
        parent.star = null;
      } else if (word === "#") {
        parent.hash = null;
      } else if (parent.literal !== null) {
        parent.literal.delete(word);
        if (parent.literal.size === 0) parent.literal = null;
      }
    }
    return true;
  }

  /**
   * Whether `value` is bound under exactly `bindingKey` (no pattern matching involved).
   *
   * @example
   * ```ts
   * trie.add("a.*", "q1");
   * trie.has("a.*", "q1"); // true
   * trie.has("a.b", "q1"); // false: "a.b" is a different binding key
   * ```
   */
  has(bindingKey: string, value: T): boolean {
    checkKey(bindingKey, "bindingKey", "TopicTrie.has");
    let node: TrieNode<T> | null | undefined = this.root;
    for (const word of splitKey(bindingKey)) {
      node = word === "*" ? node.star : word === "#" ? node.hash : node.literal?.get(word);
      if (node === null || node === undefined) return false;
    }
    return node.values?.has(value) ?? false;
  }

  /**
   * Adds to `out` every value bound under a binding key that matches `routingKey`. A value bound
   * under several matching keys is added once (`out` is a set); values already in `out` stay.
   *
   * @example
   * ```ts
   * trie.add("*.x", "q1");
   * trie.add("#", "q2");
   * const out = new Set<string>();
   * trie.match(".x", out); // out = {"q1", "q2"}: * takes the empty first word
   * ```
   */
  match(routingKey: string, out: Set<T>): void {
    // Two type checks, the only work this adds to routing.
    checkKey(routingKey, "routingKey", "TopicTrie.match");
    if (!(out instanceof Set)) {
      throw new InvalidArgumentError(`TopicTrie.match: out must be a Set, got ${describeValue(out)}.`);
    }
    this.lastMatchVisits = 0;
    if (this.bindingCount === 0) return;
    const wordCount = this.splitRoutingKey(routingKey);
    let visits = 0;
    const words = this.words;
    const generation = ++this.generation;
    const nodes = this.stackNodes;
    const positions = this.stackPositions;
    nodes.push(this.root);
    positions.push(0);
    while (nodes.length > 0) {
      const node = nodes.pop()!;
      const position = positions.pop()!;
      const seen = node.seen;
      if (seen !== null) {
        if (seen[position] === generation) continue;
        while (seen.length <= position) seen.push(0);
        seen[position] = generation;
      }
      visits++;
      if (node.hash !== null) {
        // The # below takes zero words here; taking more happens through its own isHash branch.
        nodes.push(node.hash);
        positions.push(position);
      }
      if (position === wordCount) {
        if (node.values !== null) for (const value of node.values) out.add(value);
        continue;
      }
      if (node.isHash) {
        nodes.push(node);
        positions.push(position + 1);
      }
      if (node.literal !== null) {
        const child = node.literal.get(words[position]!);
        if (child !== undefined) {
          nodes.push(child);
          positions.push(position + 1);
        }
      }
      if (node.star !== null) {
        nodes.push(node.star);
        positions.push(position + 1);
      }
    }
    this.lastMatchVisits = visits;
  }

  /**
   * Removes every binding.
   *
   * @example
   * ```ts
   * trie.clear();
   * trie.size; // 0
   * ```
   */
  clear(): void {
    this.root = newNode(false, false);
    this.bindingCount = 0;
    this.words.length = 0;
  }

  /** Splits into the reused word buffer, returning the word count; scanning indices avoids split's array. */
  private splitRoutingKey(key: string): number {
    if (key === "") return 0;
    const words = this.words;
    let count = 0;
    let start = 0;
    for (;;) {
      const dot = key.indexOf(".", start);
      if (dot === -1) {
        words[count++] = key.slice(start);
        return count;
      }
      words[count++] = key.slice(start, dot);
      start = dot + 1;
    }
  }
}
