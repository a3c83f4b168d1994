import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { topicMatchesReference } from "../../src/exchange/topic-reference.js";
import { TopicTrie } from "../../src/exchange/topic-trie.js";

function matched<T>(trie: TopicTrie<T>, routingKey: string): Set<T> {
  const out = new Set<T>();
  trie.match(routingKey, out);
  return out;
}

/**
 * RabbitMQ's own vectors: the `topic` case of deps/rabbit/test/routing_SUITE.erl in
 * rabbitmq/rabbitmq-server (earlier releases carried the same table as test_topic_matching in
 * rabbit_tests.erl). Each binding routes to a queue; t27 is bound twice with the same key and
 * different arguments ("aliasing"), so the trie sees two distinct values for one queue.
 */
describe("TopicTrie against RabbitMQ's routing_SUITE topic vectors", () => {
  interface Binding {
    key: string;
    queue: string;
    args: string;
  }
  const bindings: Binding[] = [
    { key: "a.b.c", queue: "t1", args: "" },
    { key: "a.*.c", queue: "t2", args: "" },
    { key: "a.#.b", queue: "t3", args: "" },
    { key: "a.b.b.c", queue: "t4", args: "" },
    { key: "#", queue: "t5", args: "" },
    { key: "#.#", queue: "t6", args: "" },
    { key: "#.b", queue: "t7", args: "" },
    { key: "*.*", queue: "t8", args: "" },
    { key: "a.*", queue: "t9", args: "" },
    { key: "*.b.c", queue: "t10", args: "" },
    { key: "a.#", queue: "t11", args: "" },
    { key: "a.#.#", queue: "t12", args: "" },
    { key: "b.b.c", queue: "t13", args: "" },
    { key: "a.b.b", queue: "t14", args: "" },
    { key: "a.b", queue: "t15", args: "" },
    { key: "b.c", queue: "t16", args: "" },
    { key: "", queue: "t17", args: "" },
    { key: "*.*.*", queue: "t18", args: "" },
    { key: "vodka.martini", queue: "t19", args: "" },
    { key: "a.b.c", queue: "t20", args: "" },
    { key: "*.#", queue: "t21", args: "" },
    { key: "#.*.#", queue: "t22", args: "" },
    { key: "*.#.#", queue: "t23", args: "" },
    { key: "#.#.#", queue: "t24", args: "" },
    { key: "*", queue: "t25", args: "" },
    { key: "#.b.#", queue: "t26", args: "" },
    { key: "args-test", queue: "t27", args: "foo=bar" },
    { key: "args-test", queue: "t27", args: "foo=baz" },
  ];

  const beforeRemoval: Array<[string, string[]]> = [
    ["a.b.c", ["t1", "t2", "t5", "t6", "t10", "t11", "t12", "t18", "t20", "t21", "t22", "t23", "t24", "t26"]],
    ["a.b", ["t3", "t5", "t6", "t7", "t8", "t9", "t11", "t12", "t15", "t21", "t22", "t23", "t24", "t26"]],
    ["a.b.b", ["t3", "t5", "t6", "t7", "t11", "t12", "t14", "t18", "t21", "t22", "t23", "t24", "t26"]],
    ["", ["t5", "t6", "t17", "t24"]],
    ["b.c.c", ["t5", "t6", "t18", "t21", "t22", "t23", "t24", "t26"]],
    ["a.a.a.a.a", ["t5", "t6", "t11", "t12", "t21", "t22", "t23", "t24"]],
    ["vodka.gin", ["t5", "t6", "t8", "t21", "t22", "t23", "t24"]],
    ["vodka.martini", ["t5", "t6", "t8", "t19", "t21", "t22", "t23", "t24"]],
    ["b.b.c", ["t5", "t6", "t10", "t13", "t18", "t21", "t22", "t23", "t24", "t26"]],
    ["nothing.here.at.all", ["t5", "t6", "t21", "t22", "t23", "t24"]],
    ["oneword", ["t5", "t6", "t21", "t22", "t23", "t24", "t25"]],
    ["args-test", ["t5", "t6", "t21", "t22", "t23", "t24", "t25", "t27"]],
  ];

  // The suite removes bindings number 1, 5, 11, 19, 21 and 28 (1-based): t1, t5, t11, t19, t21
  // and the second t27 binding, whose twin keeps t27 routable.
  const removedPositions = [1, 5, 11, 19, 21, 28];

  const afterRemoval: Array<[string, string[]]> = [
    ["a.b.c", ["t2", "t6", "t10", "t12", "t18", "t20", "t22", "t23", "t24", "t26"]],
    ["a.b", ["t3", "t6", "t7", "t8", "t9", "t12", "t15", "t22", "t23", "t24", "t26"]],
    ["a.b.b", ["t3", "t6", "t7", "t12", "t14", "t18", "t22", "t23", "t24", "t26"]],
    ["", ["t6", "t17", "t24"]],
    ["b.c.c", ["t6", "t18", "t22", "t23", "t24", "t26"]],
    ["a.a.a.a.a", ["t6", "t12", "t22", "t23", "t24"]],
    ["vodka.gin", ["t6", "t8", "t22", "t23", "t24"]],
    ["vodka.martini", ["t6", "t8", "t22", "t23", "t24"]],
    ["b.b.c", ["t6", "t10", "t13", "t18", "t22", "t23", "t24", "t26"]],
    ["nothing.here.at.all", ["t6", "t22", "t23", "t24"]],
    ["oneword", ["t6", "t22", "t23", "t24", "t25"]],
    ["args-test", ["t6", "t22", "t23", "t24", "t25", "t27"]],
  ];

  function routedQueues(trie: TopicTrie<Binding>, routingKey: string): string[] {
    return [...new Set([...matched(trie, routingKey)].map((b) => b.queue))].sort();
  }

  function build(): TopicTrie<Binding> {
    const trie = new TopicTrie<Binding>();
    for (const binding of bindings) expect(trie.add(binding.key, binding)).toBe(true);
    return trie;
  }

  it.each(beforeRemoval)("routes %j to exactly the expected queues", (routingKey, queues) => {
    expect(routedQueues(build(), routingKey)).toEqual([...queues].sort());
  });

  it.each(afterRemoval)("after removals, routes %j to exactly the expected queues", (routingKey, queues) => {
    const trie = build();
    for (const position of removedPositions) {
      const binding = bindings[position - 1]!;
      expect(trie.remove(binding.key, binding)).toBe(true);
    }
    expect(trie.size).toBe(bindings.length - removedPositions.length);
    expect(routedQueues(trie, routingKey)).toEqual([...queues].sort());
  });

  it("routes nothing once every binding is gone, by clear() or by removing each", () => {
    const cleared = build();
    cleared.clear();
    expect(cleared.size).toBe(0);
    const emptied = build();
    for (const binding of bindings) expect(emptied.remove(binding.key, binding)).toBe(true);
    expect(emptied.size).toBe(0);
    for (const routingKey of ["a.b.c", "b.b.c", ""]) {
      expect(routedQueues(cleared, routingKey)).toEqual([]);
      expect(routedQueues(emptied, routingKey)).toEqual([]);
    }
  });

  it("agrees with the reference on every vector", () => {
    for (const [routingKey, queues] of beforeRemoval) {
      const byReference = bindings
        .filter((b) => topicMatchesReference(b.key, routingKey))
        .map((b) => b.queue);
      expect([...new Set(byReference)].sort()).toEqual([...queues].sort());
    }
  });
});

/**
 * The edge cases of the RabbitMQ reference notes. Every binding's value is its own key, so each
 * row names exactly which bindings match.
 */
describe("TopicTrie edge cases", () => {
  const edgeBindings = [
    "",
    "#",
    "#.#",
    "*",
    "*.x",
    "log.#",
    "stock.*.nyse",
    "a..b",
    "a.*.b",
    "a.#.b",
    "a.#.#.b",
    "a#b",
    "a*",
    "*.*",
    "#.*",
    ".",
    "x.",
    "#.x.#",
  ];
  const everywhere = ["#", "#.#"];
  const rows: Array<[string, string[]]> = [
    // The empty key is zero words: only "" and all-# bindings; never "*".
    ["", ["", "#", "#.#"]],
    // "." is two empty words.
    [".", [...everywhere, "*.*", "#.*", "."]],
    [".x", [...everywhere, "*.x", "*.*", "#.*", "#.x.#"]],
    ["x", [...everywhere, "*", "#.*", "#.x.#"]],
    ["x.", [...everywhere, "*.*", "#.*", "x.", "#.x.#"]],
    // A trailing .# may take nothing; a prefix is not a word.
    ["log", [...everywhere, "*", "#.*", "log.#"]],
    ["log.info", [...everywhere, "*.*", "#.*", "log.#"]],
    ["log.info.x", [...everywhere, "#.*", "log.#", "#.x.#"]],
    ["logs", [...everywhere, "*", "#.*"]],
    ["stock.ibm.nyse", [...everywhere, "#.*", "stock.*.nyse"]],
    ["stock.nyse", [...everywhere, "*.*", "#.*"]],
    // An empty middle word is a word: * takes it, # takes it or more.
    ["a..b", [...everywhere, "#.*", "a..b", "a.*.b", "a.#.b", "a.#.#.b"]],
    ["a.b", [...everywhere, "*.*", "#.*", "a.#.b", "a.#.#.b"]],
    ["a.x.y.b", [...everywhere, "#.*", "a.#.b", "a.#.#.b", "#.x.#"]],
    // Wildcards inside a word are literal text.
    ["a#b", [...everywhere, "*", "#.*", "a#b"]],
    ["a*", [...everywhere, "*", "#.*", "a*"]],
    ["ab", [...everywhere, "*", "#.*"]],
    // In a routing key * and # are ordinary words.
    ["*", [...everywhere, "*", "#.*"]],
    ["#", [...everywhere, "*", "#.*"]],
    ["a.#.b", [...everywhere, "#.*", "a.*.b", "a.#.b", "a.#.#.b"]],
  ];

  function build(): TopicTrie<string> {
    const trie = new TopicTrie<string>();
    for (const key of edgeBindings) trie.add(key, key);
    return trie;
  }

  it.each(rows)("routing key %j matches exactly %j", (routingKey, expected) => {
    expect([...matched(build(), routingKey)].sort()).toEqual([...expected].sort());
  });

  it.each(rows)("the reference agrees on %j", (routingKey, expected) => {
    const byReference = edgeBindings.filter((key) => topicMatchesReference(key, routingKey));
    expect(byReference.sort()).toEqual([...expected].sort());
  });

  it("matches the reference notes' illustrations one binding at a time", () => {
    const cases: Array<[string, string, boolean]> = [
      ["stock.*.nyse", "stock.ibm.nyse", true],
      ["stock.*.nyse", "stock.nyse", false],
      ["log.#", "log", true],
      ["*.x", ".x", true],
      ["*", "", false],
      ["#", "", true],
      ["#.#.#", "", true],
      ["", "", true],
      ["", "a", false],
      ["a.#.#.b", "a.b", true],
    ];
    for (const [bindingKey, routingKey, expected] of cases) {
      const trie = new TopicTrie<string>();
      trie.add(bindingKey, "q");
      expect(matched(trie, routingKey).has("q"), `${bindingKey} vs ${routingKey}`).toBe(expected);
      expect(topicMatchesReference(bindingKey, routingKey), `${bindingKey} vs ${routingKey}`).toBe(expected);
    }
  });
});

describe("TopicTrie bookkeeping", () => {
  it("refuses a duplicate (key, value) pair but accepts the same value under another key", () => {
    const trie = new TopicTrie<string>();
    expect(trie.add("a.*", "q1")).toBe(true);
    expect(trie.add("a.*", "q1")).toBe(false);
    expect(trie.add("a.#", "q1")).toBe(true);
    expect(trie.add("a.*", "q2")).toBe(true);
    expect(trie.size).toBe(3);
    expect(trie.has("a.*", "q1")).toBe(true);
    expect(trie.has("a.b", "q1")).toBe(false);
    expect(trie.has("a.*", "q3")).toBe(false);
  });

  it("reports a value once however many of its keys match, and keeps what out already held", () => {
    const trie = new TopicTrie<string>();
    trie.add("a.*", "q1");
    trie.add("a.#", "q1");
    trie.add("#", "q1");
    trie.add("#.#.#", "q1");
    const out = new Set(["earlier"]);
    trie.match("a.b", out);
    expect([...out]).toEqual(["earlier", "q1"]);
  });

  it("removes only the named pair and reports absent pairs", () => {
    const trie = new TopicTrie<string>();
    trie.add("a.b", "q1");
    trie.add("a.b", "q2");
    trie.add("a.b.c", "q3");
    expect(trie.remove("a.b", "q9")).toBe(false);
    expect(trie.remove("a.x", "q1")).toBe(false);
    expect(trie.remove("a", "q1")).toBe(false);
    expect(trie.remove("a.b", "q1")).toBe(true);
    expect(trie.remove("a.b", "q1")).toBe(false);
    expect([...matched(trie, "a.b")]).toEqual(["q2"]);
    expect([...matched(trie, "a.b.c")]).toEqual(["q3"]);
    expect(trie.size).toBe(2);
  });

  it("keeps a deeper binding routable when a binding on its path is removed, and vice versa", () => {
    const trie = new TopicTrie<string>();
    trie.add("a.#", "short");
    trie.add("a.#.b.#", "long");
    expect(trie.remove("a.#", "short")).toBe(true);
    expect([...matched(trie, "a.x.b")]).toEqual(["long"]);
    trie.add("a.#", "short");
    expect(trie.remove("a.#.b.#", "long")).toBe(true);
    expect([...matched(trie, "a.x.b")]).toEqual(["short"]);
    expect(trie.remove("a.#", "short")).toBe(true);
    expect(trie.size).toBe(0);
    expect([...matched(trie, "a.x.b")]).toEqual([]);
  });

  it("can be refilled after clear()", () => {
    const trie = new TopicTrie<string>();
    trie.add("a.*", "q1");
    trie.clear();
    expect(trie.size).toBe(0);
    expect(trie.has("a.*", "q1")).toBe(false);
    expect(trie.add("a.*", "q1")).toBe(true);
    expect([...matched(trie, "a.b")]).toEqual(["q1"]);
  });

  it("stays polynomial with many # words", () => {
    // Six #s against 60 words: a walk that does not remember the (node, position) pairs it
    // explored expands millions of them; with the memo each pair is expanded at most once.
    const trie = new TopicTrie<string>();
    const hashes = Array.from({ length: 6 }, () => "#").join(".");
    trie.add(`${hashes}.z`, "never");
    trie.add(`${hashes}.a`, "last-a");
    const routingKey = Array.from({ length: 60 }, () => "a").join(".");
    expect([...matched(trie, routingKey)]).toEqual(["last-a"]);
    // 9 nodes (root, six #, z, a) × 61 word positions bound the walk.
    expect(trie.lastMatchVisits).toBeLessThanOrEqual(9 * 61);
  });

  it("handles 40 # words against a 250-word key", () => {
    const trie = new TopicTrie<string>();
    const hashes = Array.from({ length: 40 }, () => "#").join(".");
    trie.add(`${hashes}.z`, "never");
    trie.add(`${hashes}.a`, "last-a");
    trie.add(`${hashes}.a.#.a.*`, "tail");
    const routingKey = Array.from({ length: 250 }, () => "a").join(".");
    expect([...matched(trie, routingKey)].sort()).toEqual(["last-a", "tail"]);
  });

  it("matches 10k bindings like the reference does", () => {
    const words = ["", "a", "b", "c", "d", "*", "#"];
    const trie = new TopicTrie<number>();
    const keys: string[] = [];
    // A fixed linear congruential sequence: deterministic, varied, and independent of any RNG.
    let state = 12345;
    const next = (bound: number): number => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state % bound;
    };
    for (let i = 0; i < 10_000; i++) {
      const length = next(6);
      const key = Array.from({ length }, () => words[next(words.length)]!).join(".");
      keys.push(key);
      trie.add(key, i);
    }
    expect(trie.size).toBe(10_000);
    for (const routingKey of ["", "a", "a.b", "a..c", "d.c.b.a", "a.b.c.d.a.b.c", "*", "#.#"]) {
      const expected = keys.flatMap((key, i) => (topicMatchesReference(key, routingKey) ? [i] : []));
      expect([...matched(trie, routingKey)].sort((x, y) => x - y)).toEqual(expected);
    }
  });
});

describe("TopicTrie agrees with topicMatchesReference (property)", () => {
  const word = fc.constantFrom("", "a", "b", "*", "#", "a#b");
  const key = fc.array(word, { maxLength: 5 }).map((words) => words.join("."));

  it("for generated bindings, removals and routing keys", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(key, fc.integer({ min: 0, max: 4 })), { maxLength: 25 }),
        fc.array(fc.boolean(), { maxLength: 25 }),
        fc.array(key, { minLength: 1, maxLength: 8 }),
        (bindings, removeFlags, routingKeys) => {
          const trie = new TopicTrie<string>();
          const present = new Map<string, { key: string; value: string }>();
          for (const [bindingKey, queue] of bindings) {
            const value = `q${queue}`;
            const id = `${bindingKey}\u0000${value}`;
            expect(trie.add(bindingKey, value)).toBe(!present.has(id));
            present.set(id, { key: bindingKey, value });
          }
          bindings.forEach(([bindingKey, queue], i) => {
            if (removeFlags[i] !== true) return;
            const value = `q${queue}`;
            const id = `${bindingKey}\u0000${value}`;
            expect(trie.remove(bindingKey, value)).toBe(present.has(id));
            present.delete(id);
          });
          expect(trie.size).toBe(present.size);
          for (const routingKey of routingKeys) {
            const expected = new Set<string>();
            for (const binding of present.values()) {
              if (topicMatchesReference(binding.key, routingKey)) expected.add(binding.value);
            }
            expect([...matched(trie, routingKey)].sort()).toEqual([...expected].sort());
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("for single bindings over the same alphabet, one pair at a time", () => {
    fc.assert(
      fc.property(key, key, (bindingKey, routingKey) => {
        const trie = new TopicTrie<string>();
        trie.add(bindingKey, "q");
        expect(matched(trie, routingKey).has("q")).toBe(topicMatchesReference(bindingKey, routingKey));
      }),
      { numRuns: 2_000 },
    );
  });
});
