import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkRoutingKey, MAX_ROUTING_KEY_BYTES, utf8ByteLength } from "../../src/exchange/routing-key.js";
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

describe("utf8ByteLength", () => {
  it.each([
    ["", 0],
    ["abc", 3],
    ["é", 2],
    ["€", 3],
    ["😀", 4],
    ["a.é.€.😀", 13],
    ["\u007f\u0080\u07ff\u0800\uffff", 1 + 2 + 2 + 3 + 3],
    ["\ud83d", 3],
    ["\ude00", 3],
    ["\ude00\ud83d", 6],
    ["x\ud83dy", 5],
  ])("%j is %i bytes", (text, bytes) => {
    expect(utf8ByteLength(text)).toBe(bytes);
    expect(Buffer.byteLength(text, "utf8")).toBe(bytes);
  });

  it("agrees with Buffer.byteLength on arbitrary UTF-16, lone surrogates included", () => {
    const utf16 = fc
      .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
      .map((units) => String.fromCharCode(...units));
    const codePoints = fc.string({ unit: "binary", maxLength: 40 });
    fc.assert(
      fc.property(fc.oneof(utf16, codePoints), (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text, "utf8"));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe("checkRoutingKey", () => {
  it("accepts keys up to 255 UTF-8 bytes, the empty key included", () => {
    expect(MAX_ROUTING_KEY_BYTES).toBe(255);
    for (const key of ["", "a.b.c", "x".repeat(255), "€".repeat(85), `${"😀".repeat(63)}abc`]) {
      expect(() => checkRoutingKey(key, "test")).not.toThrow();
    }
  });

  it.each([
    ["256 ASCII characters", "x".repeat(256), 256],
    ["128 two-byte characters", "é".repeat(128), 256],
    ["86 three-byte characters", "€".repeat(86), 258],
    ["64 emoji", "😀".repeat(64), 256],
    ["a 1000-character key", "a.".repeat(500), 1000],
  ])("refuses %s with INVALID_ROUTING_KEY, the limit and the measured length", (_label, key, bytes) => {
    const error = thrown(() => checkRoutingKey(key, "channel.publish"));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.code).toBe("INVALID_ROUTING_KEY");
    expect(error.message).toContain("channel.publish");
    expect(error.message).toContain("255");
    expect(error.message).toContain(String(bytes));
    expect(error.details).toEqual({ limitBytes: 255, lengthBytes: bytes });
  });

  it.each([[undefined], [null], [42], [["a"]], [{ key: "a" }]])("refuses the non-string %j", (value) => {
    const error = thrown(() => checkRoutingKey(value, "channel.publish"));
    expect(error.code).toBe("INVALID_ROUTING_KEY");
    expect(error.message).toContain("must be a string");
  });
});
