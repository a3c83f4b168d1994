import { createRequire } from "node:module";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { kafkajsLegacyMurmur2, murmur2, toPositive, utf8Bytes } from "../../src/log/murmur2.js";
import { InvalidArgumentError } from "../../src/scheduler/errors.js";

// kafkajs ships plain CommonJS without type declarations for its internals; its two hash modules
// are the reference implementations the TypeScript ports must agree with byte for byte.
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require("kafkajs/src/producer/partitioners/default/murmur2.js") as (
  key: Buffer,
) => number;
const kafkajsLegacy = require("kafkajs/src/producer/partitioners/legacy/murmur2.js") as (
  key: Buffer,
) => number;

describe("murmur2: Kafka's own vectors (Java UtilsTest, also DESIGN.md)", () => {
  const vectors: Array<[string, number]> = [
    ["21", -973932308],
    ["foobar", -790332482],
    ["a-little-bit-long-string", -985981536],
    ["a-little-bit-longer-string", -1486304829],
    ["lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58897971],
    ["abc", 479470107],
  ];
  for (const [key, expected] of vectors) {
    it(`murmur2(${JSON.stringify(key)}) = ${expected}`, () => {
      expect(murmur2(utf8Bytes(key))).toBe(expected);
    });
  }

  it("hashes the empty key (length 0 skips both the blocks and the tail)", () => {
    expect(murmur2(new Uint8Array(0))).toBe(kafkajsMurmur2(Buffer.alloc(0)));
  });

  it("returns a signed 32-bit integer", () => {
    for (const [key] of vectors) {
      const h = murmur2(utf8Bytes(key));
      expect(h).toBe(h | 0);
    }
  });
});

describe("murmur2 against kafkajs 2.2.4's Java-compatible hash", () => {
  test.prop([fc.uint8Array({ maxLength: 64 })])("agrees for arbitrary bytes", (bytes) => {
    expect(murmur2(bytes)).toBe(kafkajsMurmur2(Buffer.from(bytes)));
  });

  test.prop([fc.string({ unit: "binary", maxLength: 40 })])("agrees for arbitrary string keys", (key) => {
    expect(murmur2(utf8Bytes(key))).toBe(kafkajsMurmur2(Buffer.from(key)));
  });
});

describe("kafkajsLegacyMurmur2: kafkajs' pre-2.0 hash, quirks included", () => {
  it("differs from Java's murmur2 on Kafka's vectors", () => {
    expect(kafkajsLegacyMurmur2(utf8Bytes("21"))).toBe(-595812486);
    expect(kafkajsLegacyMurmur2(utf8Bytes("foobar"))).toBe(-309133275);
    expect(kafkajsLegacyMurmur2(utf8Bytes("abc"))).toBe(1545667907);
    expect(kafkajsLegacyMurmur2(utf8Bytes("abc"))).not.toBe(murmur2(utf8Bytes("abc")));
  });

  test.prop([fc.uint8Array({ maxLength: 64 })])(
    "agrees with kafkajs' legacy module for arbitrary bytes",
    (bytes) => {
      expect(kafkajsLegacyMurmur2(bytes)).toBe(kafkajsLegacy(Buffer.from(bytes)));
    },
  );
});

describe("toPositive", () => {
  it("masks the sign bit instead of taking the absolute value", () => {
    expect(toPositive(-790332482)).toBe(1357151166);
    expect(toPositive(-2147483648)).toBe(0);
    expect(toPositive(-1)).toBe(0x7fffffff);
    expect(toPositive(12345)).toBe(12345);
  });

  test.prop([fc.integer({ min: -0x80000000, max: 0x7fffffff })])(
    "is non-negative and keeps the low 31 bits",
    (n) => {
      const p = toPositive(n);
      expect(p).toBeGreaterThanOrEqual(0);
      expect((p ^ n) & 0x7fffffff).toBe(0);
    },
  );
});

describe("utf8Bytes", () => {
  it("encodes multi-byte characters", () => {
    expect([...utf8Bytes("é€😀")]).toEqual([0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
  });

  test.prop([fc.string({ unit: "binary", maxLength: 40 })])(
    "matches Node's UTF-8 encoder (kafkajs' Buffer.from)",
    (s) => {
      expect(Buffer.from(utf8Bytes(s)).equals(Buffer.from(s, "utf8"))).toBe(true);
    },
  );
});

describe("argument validation", () => {
  it("refuses non-byte input with InvalidArgumentError", () => {
    expect(() => murmur2("abc" as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => kafkajsLegacyMurmur2(null as unknown as Uint8Array)).toThrow(InvalidArgumentError);
    expect(() => utf8Bytes(42 as unknown as string)).toThrow(InvalidArgumentError);
  });
});
