import { fc, test } from "@fast-check/vitest";
import { Partitioners, type PartitionMetadata } from "kafkajs";
import { describe, expect, it } from "vitest";
import { murmur2, toPositive, utf8Bytes } from "../../src/log/murmur2.js";
import {
  KafkajsDefaultPartitioner,
  KafkajsLegacyPartitioner,
  keyedPartition,
  type Partitioner,
  type PartitionInput,
  RoundRobinPartitioner,
  resolvePartition,
  StickyPartitioner,
} from "../../src/log/partitioners.js";
import { BrokerlabError, InvalidArgumentError } from "../../src/scheduler/errors.js";

function thrown(fn: () => unknown): BrokerlabError {
  try {
    fn();
  } catch (error) {
    if (error instanceof BrokerlabError) return error;
    throw error;
  }
  throw new Error("expected a BrokerlabError, nothing was thrown");
}

/** A pickInt that replays a script of values (reduced modulo the bound) and records every call. */
function scripted(values: readonly number[]): { pickInt: (bound: number) => number; bounds: number[] } {
  const bounds: number[] = [];
  let i = 0;
  return {
    bounds,
    pickInt: (bound) => {
      bounds.push(bound);
      const v = values[i++ % values.length] ?? 0;
      return v % bound;
    },
  };
}

const nullRecord = (partitionCount: number, valueSizeBytes = 1, topic = "t"): PartitionInput => ({
  topic,
  key: null,
  partitionCount,
  valueSizeBytes,
});

describe("keyedPartition", () => {
  it("is toPositive(murmur2(key)) % partitions, as Java's and kafkajs' default partitioners", () => {
    expect(keyedPartition(utf8Bytes("foobar"), 10)).toBe(6);
    expect(keyedPartition(utf8Bytes("abc"), 10)).toBe(7);
    expect(keyedPartition(utf8Bytes("21"), 10)).toBe(0);
  });

  test.prop([fc.uint8Array({ maxLength: 32 }), fc.integer({ min: 1, max: 1000 })])(
    "agrees with kafkajs 2.2.4's DefaultPartitioner for keyed records",
    (key, partitionCount) => {
      const kafkajs = Partitioners.DefaultPartitioner();
      const metadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
        partitionId,
        leader: 0,
      }));
      const expected = kafkajs({
        topic: "t",
        partitionMetadata: metadata as PartitionMetadata[],
        message: { key: Buffer.from(key), value: null },
      });
      expect(keyedPartition(key, partitionCount)).toBe(expected);
    },
  );

  it("validates the partition count", () => {
    expect(() => keyedPartition(utf8Bytes("k"), 0)).toThrow(InvalidArgumentError);
    expect(() => keyedPartition(utf8Bytes("k"), 1.5)).toThrow(InvalidArgumentError);
  });
});

describe("explicit partitions always win", () => {
  const strategies = (): Array<[string, Partitioner]> => [
    ["sticky", new StickyPartitioner({ pickInt: () => 0 })],
    ["round-robin", new RoundRobinPartitioner()],
    ["kafkajs default", new KafkajsDefaultPartitioner({ pickInt: () => 0 })],
    ["kafkajs legacy", new KafkajsLegacyPartitioner({ pickInt: () => 0 })],
  ];

  for (const [name, partitioner] of strategies()) {
    it(`${name}: keyed or not, the explicit partition is used`, () => {
      const keyed = {
        topic: "t",
        key: utf8Bytes("foobar"),
        partitionCount: 5,
        valueSizeBytes: 1,
        partition: 3,
      };
      expect(partitioner.partition(keyed)).toBe(3);
      expect(partitioner.partition({ ...nullRecord(5), partition: 0 })).toBe(0);
      expect(resolvePartition(partitioner, { ...keyed, partition: 4 })).toBe(4);
    });

    it(`${name}: an explicit partition outside [0, count) is INVALID_PARTITION`, () => {
      for (const bad of [-1, 5, 1.5, Number.NaN]) {
        const error = thrown(() => partitioner.partition({ ...nullRecord(5), partition: bad }));
        expect(error).toBeInstanceOf(InvalidArgumentError);
        expect(error.code).toBe("INVALID_PARTITION");
        expect(thrown(() => resolvePartition(partitioner, { ...nullRecord(5), partition: bad })).code).toBe(
          "INVALID_PARTITION",
        );
      }
    });
  }

  it("resolvePartition refuses a custom strategy's out-of-range answer", () => {
    const rogue: Partitioner = { partition: () => 7 };
    expect(thrown(() => resolvePartition(rogue, nullRecord(3))).code).toBe("INVALID_PARTITION");
    expect(resolvePartition({ partition: () => 2 }, nullRecord(3))).toBe(2);
  });

  it("resolvePartition does not consult the strategy when a partition is given", () => {
    let calls = 0;
    const counting: Partitioner = {
      partition: () => {
        calls++;
        return 0;
      },
    };
    expect(resolvePartition(counting, { ...nullRecord(3), partition: 1 })).toBe(1);
    expect(calls).toBe(0);
  });
});

describe("input validation", () => {
  const p = new RoundRobinPartitioner();
  const cases: Array<[string, unknown]> = [
    ["empty topic", { ...nullRecord(3), topic: "" }],
    ["string key", { ...nullRecord(3), key: "k" }],
    ["zero partitions", nullRecord(0)],
    ["fractional partitions", nullRecord(2.5)],
    ["negative size", nullRecord(3, -1)],
    ["unknown field", { ...nullRecord(3), partiton: 1 }],
    ["not an object", null],
  ];
  for (const [name, input] of cases) {
    it(`refuses ${name}`, () => {
      expect(() => p.partition(input as PartitionInput)).toThrow(InvalidArgumentError);
      expect(() => resolvePartition(p, input as PartitionInput)).toThrow(InvalidArgumentError);
    });
  }

  it("refuses bad constructor options", () => {
    expect(() => new StickyPartitioner({ pickInt: () => 0, batchSize: 0 })).toThrow(InvalidArgumentError);
    expect(() => new StickyPartitioner({} as { pickInt: () => number })).toThrow(InvalidArgumentError);
    expect(() => new StickyPartitioner(undefined as unknown as { pickInt: () => number })).toThrow(
      InvalidArgumentError,
    );
    expect(() => new RoundRobinPartitioner({ start: -1 })).toThrow(InvalidArgumentError);
    expect(() => new RoundRobinPartitioner({ strat: 1 } as object)).toThrow(InvalidArgumentError);
    expect(() => new KafkajsDefaultPartitioner({ pickInt: 3 as unknown as () => number })).toThrow(
      InvalidArgumentError,
    );
  });

  it("refuses a pickInt that answers outside its bound", () => {
    const p = new StickyPartitioner({ pickInt: (bound) => bound });
    expect(() => p.partition(nullRecord(3))).toThrow(InvalidArgumentError);
  });

  it("refuses an availablePartitions entry that is not a partition", () => {
    const p = new RoundRobinPartitioner();
    expect(thrown(() => p.partition({ ...nullRecord(3), availablePartitions: [7] })).code).toBe(
      "INVALID_PARTITION",
    );
  });
});

describe("StickyPartitioner (Java's built-in partitioner since 3.3)", () => {
  it("keeps a partition until batch.size bytes went to it, then picks again", () => {
    const rng = scripted([2, 0, 1]);
    const p = new StickyPartitioner({ pickInt: rng.pickInt, batchSize: 100 });
    const sizes = [60, 39, 1, 50, 50, 10];
    const got = sizes.map((size) => p.partition(nullRecord(4, size)));
    // 60+39 < 100 stays; +1 reaches 100 (still on 2), so the 4th record switches to 0; 50+50 = 100 switches to 1.
    expect(got).toEqual([2, 2, 2, 0, 0, 1]);
    expect(rng.bounds).toEqual([4, 4, 4]);
  });

  it("may pick the same partition again, as Java's uniform choice does", () => {
    const p = new StickyPartitioner({ pickInt: () => 1, batchSize: 10 });
    expect([1, 2, 3].map(() => p.partition(nullRecord(3, 10)))).toEqual([1, 1, 1]);
  });

  it("hashes keyed records without touching the sticky byte count", () => {
    const rng = scripted([3, 1]);
    const p = new StickyPartitioner({ pickInt: rng.pickInt, batchSize: 100 });
    expect(p.partition(nullRecord(5, 90))).toBe(3);
    const key = utf8Bytes("foobar");
    expect(p.partition({ topic: "t", key, partitionCount: 5, valueSizeBytes: 1000 })).toBe(
      toPositive(murmur2(key)) % 5,
    );
    expect(p.partition(nullRecord(5, 9))).toBe(3);
    expect(rng.bounds).toEqual([5]);
  });

  it("with ignoreKeys, keyed records are sticky too (partitioner.ignore.keys)", () => {
    const p = new StickyPartitioner({ pickInt: () => 4, ignoreKeys: true });
    expect(p.partition({ topic: "t", key: utf8Bytes("foobar"), partitionCount: 5, valueSizeBytes: 1 })).toBe(
      4,
    );
  });

  it("keeps one sticky partition per topic", () => {
    const rng = scripted([1, 2]);
    const p = new StickyPartitioner({ pickInt: rng.pickInt, batchSize: 1000 });
    expect(p.partition(nullRecord(3, 1, "a"))).toBe(1);
    expect(p.partition(nullRecord(3, 1, "b"))).toBe(2);
    expect(p.partition(nullRecord(3, 1, "a"))).toBe(1);
  });

  it("chooses only among available partitions", () => {
    const rng = scripted([0, 1, 2]);
    const p = new StickyPartitioner({ pickInt: rng.pickInt, batchSize: 1 });
    const input = { ...nullRecord(6), availablePartitions: [1, 4, 5] };
    expect([p.partition(input), p.partition(input), p.partition(input)]).toEqual([1, 4, 5]);
    expect(rng.bounds).toEqual([3, 3, 3, 3]);
  });

  test.prop([
    fc.integer({ min: 1, max: 200 }),
    fc.integer({ min: 1, max: 8 }),
    fc.array(fc.oneof(fc.integer({ min: 0, max: 120 }), fc.constant(-1)), { maxLength: 60 }),
    fc.array(fc.nat(), { minLength: 1, maxLength: 20 }),
  ])(
    "switches only after batch.size bytes, and draws exactly once per switch",
    (batchSize, count, records, script) => {
      // -1 marks a keyed record: it must neither move the sticky partition nor count bytes.
      const rng = scripted(script);
      const p = new StickyPartitioner({ pickInt: rng.pickInt, batchSize });
      let current = -1;
      let bytes = 0;
      let draws = 0;
      for (const size of records) {
        if (size < 0) {
          p.partition({ topic: "t", key: utf8Bytes("k"), partitionCount: count, valueSizeBytes: 500 });
          continue;
        }
        const got = p.partition(nullRecord(count, size));
        if (current === -1) {
          draws++;
        } else if (bytes >= batchSize) {
          draws++;
          bytes = 0;
        } else {
          expect(got).toBe(current);
        }
        current = got;
        bytes += size;
      }
      if (bytes >= batchSize) draws++;
      expect(rng.bounds.length).toBe(draws);
    },
  );
});

describe("RoundRobinPartitioner", () => {
  test.prop([
    fc.integer({ min: 1, max: 20 }),
    fc.integer({ min: 0, max: 1000 }),
    fc.integer({ min: 0, max: 60 }),
  ])("cycles through every partition, one keyless record each, from start", (count, start, n) => {
    const p = new RoundRobinPartitioner({ start });
    const got = Array.from({ length: n }, () => p.partition(nullRecord(count)));
    expect(got).toEqual(Array.from({ length: n }, (_, i) => (start + i) % count));
  });

  test.prop([fc.uniqueArray(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 16 }), fc.nat(40)])(
    "cycles through the available partitions only",
    (available, n) => {
      const p = new RoundRobinPartitioner();
      const input = { ...nullRecord(16), availablePartitions: available };
      const got = Array.from({ length: n }, () => p.partition(input));
      expect(got).toEqual(Array.from({ length: n }, (_, i) => available[i % available.length]));
    },
  );

  it("hashes keyed records and leaves the cycle where it was", () => {
    const p = new RoundRobinPartitioner();
    const key = utf8Bytes("abc");
    expect(p.partition(nullRecord(3))).toBe(0);
    expect(p.partition({ topic: "t", key, partitionCount: 3, valueSizeBytes: 1 })).toBe(
      keyedPartition(key, 3),
    );
    expect(p.partition(nullRecord(3))).toBe(1);
  });

  it("with ignoreKeys, cycles keyed records too (Java's RoundRobinPartitioner)", () => {
    const p = new RoundRobinPartitioner({ ignoreKeys: true });
    const keyed = { topic: "t", key: utf8Bytes("abc"), partitionCount: 3, valueSizeBytes: 1 };
    expect([p.partition(keyed), p.partition(keyed), p.partition(keyed), p.partition(keyed)]).toEqual([
      0, 1, 2, 0,
    ]);
  });

  it("keeps one cycle per topic", () => {
    const p = new RoundRobinPartitioner();
    expect([p.partition(nullRecord(3, 1, "a")), p.partition(nullRecord(3, 1, "b"))]).toEqual([0, 0]);
    expect([p.partition(nullRecord(3, 1, "a")), p.partition(nullRecord(3, 1, "b"))]).toEqual([1, 1]);
  });
});

describe("kafkajs partitioners against kafkajs 2.2.4 itself", () => {
  const message = fc.record({
    key: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: null }),
    explicit: fc.boolean(),
  });

  const compare = (
    name: "DefaultPartitioner" | "LegacyPartitioner",
    make: (pickInt: (bound: number) => number) => Partitioner,
  ): void => {
    test.prop([
      fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
      fc.array(message, { minLength: 1, maxLength: 30 }),
    ])(`${name}: same choices as kafkajs, once its random start is known`, (leaders, messages) => {
      const kafkajs = Partitioners[name]();
      const metadata = leaders.map((up, partitionId) => ({ partitionId, leader: up ? 1 : -1 }));
      const available = metadata.filter((m) => m.leader >= 0).map((m) => m.partitionId);
      const count = leaders.length;
      const expected = messages.map((m, i) =>
        kafkajs({
          topic: "t",
          partitionMetadata: metadata as PartitionMetadata[],
          message: {
            key: m.key === null ? null : Buffer.from(m.key),
            value: null,
            partition: m.explicit ? i % count : undefined,
          },
        }),
      );
      // kafkajs starts its counter at a crypto-random value: align ours with its first keyless pick.
      const firstKeyless = messages.findIndex((m) => m.key === null && !m.explicit);
      let start = 0;
      if (firstKeyless >= 0) {
        const pool = available.length > 0 ? available : metadata.map((m) => m.partitionId);
        const position = pool.indexOf(expected[firstKeyless]!);
        start = (position - 1 + pool.length) % pool.length;
      }
      const ours = make(() => start);
      const got = messages.map((m, i) =>
        ours.partition({
          topic: "t",
          key: m.key,
          partitionCount: count,
          valueSizeBytes: 1,
          partition: m.explicit ? i % count : null,
          availablePartitions: available,
        }),
      );
      expect(got).toEqual(expected);
    });
  };

  compare("DefaultPartitioner", (pickInt) => new KafkajsDefaultPartitioner({ pickInt }));
  compare("LegacyPartitioner", (pickInt) => new KafkajsLegacyPartitioner({ pickInt }));

  it("draws the random start once per topic, on the topic's first record even if keyed", () => {
    const rng = scripted([10, 20]);
    const p = new KafkajsDefaultPartitioner({ pickInt: rng.pickInt });
    p.partition({ topic: "a", key: utf8Bytes("k"), partitionCount: 4, valueSizeBytes: 1 });
    expect(p.partition(nullRecord(4, 1, "a"))).toBe(11 % 4);
    expect(p.partition(nullRecord(4, 1, "a"))).toBe(12 % 4);
    expect(p.partition(nullRecord(4, 1, "b"))).toBe(21 % 4);
    expect(rng.bounds).toEqual([0x80000000, 0x80000000]);
  });

  it("the legacy partitioner places keys differently from the Java-compatible one", () => {
    const legacy = new KafkajsLegacyPartitioner({ pickInt: () => 0 });
    const key = utf8Bytes("abc");
    const keyed = { topic: "t", key, partitionCount: 10, valueSizeBytes: 1 };
    expect(keyedPartition(key, 10)).toBe(7);
    expect(legacy.partition(keyed)).toBe(7);
    const k21 = { ...keyed, key: utf8Bytes("21") };
    expect(keyedPartition(k21.key, 10)).toBe(0);
    expect(legacy.partition(k21)).toBe(2);
  });
});
