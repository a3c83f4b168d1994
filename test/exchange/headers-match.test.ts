import { describe, expect, it } from "vitest";
import { headersMatch, validateXMatch, X_MATCH_VALUES } from "../../src/exchange/headers-match.js";
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

describe("headersMatch: x-match all (explicit or absent)", () => {
  const args = { format: "pdf", type: "report" };

  it("needs every argument present and equal", () => {
    for (const binding of [args, { ...args, "x-match": "all" }]) {
      expect(headersMatch(binding, { format: "pdf", type: "report" })).toBe(true);
      expect(headersMatch(binding, { format: "pdf", type: "report", extra: 1 })).toBe(true);
      expect(headersMatch(binding, { format: "pdf" })).toBe(false);
      expect(headersMatch(binding, { format: "pdf", type: "log" })).toBe(false);
      expect(headersMatch(binding, {})).toBe(false);
      expect(headersMatch(binding, undefined)).toBe(false);
    }
  });

  it("with no arguments left, matches every message, even one without headers", () => {
    expect(headersMatch({}, undefined)).toBe(true);
    expect(headersMatch({ "x-match": "all" }, undefined)).toBe(true);
    expect(headersMatch({ "x-match": "all" }, { anything: 1 })).toBe(true);
    // x- arguments are skipped by all, so this binding has nothing left to check.
    expect(headersMatch({ "x-match": "all", "x-priority": 5 }, undefined)).toBe(true);
  });
});

describe("headersMatch: x-match any", () => {
  const args = { "x-match": "any", format: "pdf", type: "report" };

  it("needs one argument present and equal", () => {
    expect(headersMatch(args, { format: "pdf" })).toBe(true);
    expect(headersMatch(args, { type: "report", format: "zip" })).toBe(true);
    expect(headersMatch(args, { format: "zip", type: "log" })).toBe(false);
    expect(headersMatch(args, { other: "pdf" })).toBe(false);
    expect(headersMatch(args, undefined)).toBe(false);
  });

  it("with no arguments left, matches nothing", () => {
    expect(headersMatch({ "x-match": "any" }, { a: 1 })).toBe(false);
    expect(headersMatch({ "x-match": "any" }, undefined)).toBe(false);
    expect(headersMatch({ "x-match": "any", "x-origin": "eu" }, { "x-origin": "eu" })).toBe(false);
  });
});

describe("headersMatch: x- arguments", () => {
  it("are skipped by all and any", () => {
    expect(headersMatch({ "x-match": "all", "x-origin": "eu", kind: "a" }, { kind: "a" })).toBe(true);
    expect(
      headersMatch({ "x-match": "all", "x-origin": "eu", kind: "a" }, { kind: "a", "x-origin": "us" }),
    ).toBe(true);
    expect(headersMatch({ "x-match": "any", "x-origin": "eu" }, { "x-origin": "eu" })).toBe(false);
  });

  it("are compared by all-with-x and any-with-x", () => {
    const all = { "x-match": "all-with-x", "x-origin": "eu", kind: "a" };
    expect(headersMatch(all, { kind: "a", "x-origin": "eu" })).toBe(true);
    expect(headersMatch(all, { kind: "a", "x-origin": "us" })).toBe(false);
    expect(headersMatch(all, { kind: "a" })).toBe(false);
    const any = { "x-match": "any-with-x", "x-origin": "eu", kind: "a" };
    expect(headersMatch(any, { "x-origin": "eu" })).toBe(true);
    expect(headersMatch(any, { kind: "a" })).toBe(true);
    expect(headersMatch(any, { kind: "b", "x-origin": "us" })).toBe(false);
  });

  it("never count x-match itself, even in the -with-x modes", () => {
    expect(headersMatch({ "x-match": "any-with-x" }, { "x-match": "any-with-x" })).toBe(false);
    expect(headersMatch({ "x-match": "all-with-x" }, undefined)).toBe(true);
    expect(headersMatch({ "x-match": "all-with-x", k: 1 }, { k: 1, "x-match": "other" })).toBe(true);
  });

  it("are recognised by the lowercase prefix only", () => {
    expect(headersMatch({ "X-Origin": "eu" }, {})).toBe(false);
    expect(headersMatch({ "X-Origin": "eu" }, { "X-Origin": "eu" })).toBe(true);
    expect(headersMatch({ xorigin: "eu" }, {})).toBe(false);
  });
});

describe("headersMatch: void (null) arguments mean 'header present'", () => {
  it("in all mode", () => {
    expect(headersMatch({ format: null }, { format: "zip" })).toBe(true);
    expect(headersMatch({ format: null }, { format: null })).toBe(true);
    expect(headersMatch({ format: null }, { format: 0 })).toBe(true);
    expect(headersMatch({ format: null }, { other: "zip" })).toBe(false);
    expect(headersMatch({ format: null, kind: "a" }, { format: 1, kind: "b" })).toBe(false);
  });

  it("in any mode", () => {
    expect(headersMatch({ "x-match": "any", format: null, kind: "a" }, { format: false })).toBe(true);
    expect(headersMatch({ "x-match": "any", format: null }, { kind: "a" })).toBe(false);
  });

  it("a void header equals only presence, not a value", () => {
    expect(headersMatch({ format: "pdf" }, { format: null })).toBe(false);
  });

  it("undefined on either side counts as absent, as amqplib does not send it", () => {
    expect(headersMatch({ format: undefined }, undefined)).toBe(true);
    expect(headersMatch({ "x-match": "any", format: undefined }, { format: "x" })).toBe(false);
    expect(headersMatch({ format: null }, { format: undefined })).toBe(false);
  });

  it("looks only at the headers' own fields", () => {
    expect(headersMatch({ constructor: null }, {})).toBe(false);
    expect(headersMatch({ toString: null }, {})).toBe(false);
    expect(headersMatch({ hasOwnProperty: null }, { hasOwnProperty: "yes" })).toBe(true);
  });
});

describe("headersMatch: value comparison", () => {
  it("a string never equals a number, and a boolean only a boolean", () => {
    expect(headersMatch({ n: "1" }, { n: 1 })).toBe(false);
    expect(headersMatch({ n: 1 }, { n: "1" })).toBe(false);
    expect(headersMatch({ n: 1 }, { n: 1 })).toBe(true);
    expect(headersMatch({ n: "1" }, { n: "1" })).toBe(true);
    expect(headersMatch({ flag: true }, { flag: true })).toBe(true);
    expect(headersMatch({ flag: true }, { flag: false })).toBe(false);
    expect(headersMatch({ flag: true }, { flag: 1 })).toBe(false);
    expect(headersMatch({ flag: false }, { flag: "false" })).toBe(false);
    expect(headersMatch({ flag: false }, { flag: 0 })).toBe(false);
  });

  it("numbers compare by value whatever integer width amqplib picks", () => {
    expect(headersMatch({ n: 100_000 }, { n: 100_000 })).toBe(true);
    expect(headersMatch({ n: 2.5 }, { n: 2.5 })).toBe(true);
    expect(headersMatch({ n: 2.5 }, { n: 2.50001 })).toBe(false);
    expect(headersMatch({ n: 5 }, { n: { "!": "long", value: 5 } })).toBe(true);
    expect(headersMatch({ n: { "!": "timestamp", value: 1_700_000_000 } }, { n: 1_700_000_000 })).toBe(true);
    expect(headersMatch({ n: 7n }, { n: 7 })).toBe(true);
    expect(headersMatch({ n: 7n }, { n: 7.5 })).toBe(false);
    expect(headersMatch({ n: Number.NaN }, { n: Number.NaN })).toBe(false);
  });

  it("erlang-3.10 (default) treats an integer and a float of equal value as equal; exact does not", () => {
    const double1 = { "!": "double", value: 1 };
    expect(headersMatch({ n: double1 }, { n: 1 })).toBe(true);
    expect(headersMatch({ n: double1 }, { n: 1 }, { numericEquality: "erlang-3.10" })).toBe(true);
    expect(headersMatch({ n: double1 }, { n: 1 }, { numericEquality: "exact" })).toBe(false);
    expect(headersMatch({ n: 1 }, { n: { "!": "float", value: 1 } }, { numericEquality: "exact" })).toBe(
      false,
    );
    expect(headersMatch({ n: 1n }, { n: double1 }, { numericEquality: "exact" })).toBe(false);
    expect(headersMatch({ n: 1n }, { n: double1 })).toBe(true);
  });

  it("exact still equates integers of different widths, and floats with floats", () => {
    const exact = { numericEquality: "exact" } as const;
    expect(headersMatch({ n: { "!": "long", value: 1 } }, { n: 1 }, exact)).toBe(true);
    expect(headersMatch({ n: { "!": "int32", value: 300 } }, { n: 300n }, exact)).toBe(true);
    expect(headersMatch({ n: 1.5 }, { n: { "!": "double", value: 1.5 } }, exact)).toBe(true);
    // JS cannot tell 1 from 1.0: plain numbers compare the same in both modes.
    expect(headersMatch({ n: 1.0 }, { n: 1 }, exact)).toBe(true);
  });

  it("byte arrays compare bytewise, and equal a string with the same UTF-8 bytes", () => {
    const bytes = (...values: number[]) => new Uint8Array(values);
    expect(headersMatch({ b: bytes(1, 2, 3) }, { b: bytes(1, 2, 3) })).toBe(true);
    expect(headersMatch({ b: bytes(1, 2, 3) }, { b: bytes(1, 2) })).toBe(false);
    expect(headersMatch({ b: bytes(1, 2, 3) }, { b: bytes(1, 2, 4) })).toBe(false);
    expect(headersMatch({ b: Buffer.from("héllo") }, { b: new Uint8Array(Buffer.from("héllo")) })).toBe(true);
    expect(headersMatch({ b: "héllo" }, { b: Buffer.from("héllo", "utf8") })).toBe(true);
    expect(headersMatch({ b: "hello" }, { b: Buffer.from("hellO") })).toBe(false);
    expect(headersMatch({ b: bytes(49) }, { b: 1 })).toBe(false);
  });

  it("arrays compare element-wise, recursively", () => {
    expect(headersMatch({ list: [1, "a", [true, null]] }, { list: [1, "a", [true, null]] })).toBe(true);
    expect(headersMatch({ list: [1, "a"] }, { list: ["a", 1] })).toBe(false);
    expect(headersMatch({ list: [1, "a"] }, { list: [1, "a", 2] })).toBe(false);
    expect(headersMatch({ list: [] }, { list: [] })).toBe(true);
    expect(headersMatch({ list: [] }, { list: {} })).toBe(false);
    expect(headersMatch({ list: ["1"] }, { list: [1] })).toBe(false);
  });

  it("tables compare key by key, recursively, whatever the key order", () => {
    const table = { region: "eu", limits: { max: 10, tags: ["a", "b"] } };
    expect(headersMatch({ t: table }, { t: { limits: { tags: ["a", "b"], max: 10 }, region: "eu" } })).toBe(
      true,
    );
    expect(headersMatch({ t: table }, { t: { region: "eu", limits: { max: 11, tags: ["a", "b"] } } })).toBe(
      false,
    );
    expect(headersMatch({ t: table }, { t: { region: "eu" } })).toBe(false);
    expect(headersMatch({ t: { region: "eu" } }, { t: table })).toBe(false);
    expect(headersMatch({ t: { a: 1, gone: undefined } }, { t: { a: 1 } })).toBe(true);
    expect(headersMatch({ t: {} }, { t: {} })).toBe(true);
    expect(headersMatch({ t: { a: "1" } }, { t: { a: 1 } })).toBe(false);
  });

  it("inside arrays and tables the AMQP type must agree too, in both modes", () => {
    const longOne = { "!": "long", value: 1 };
    expect(headersMatch({ list: [1] }, { list: [longOne] })).toBe(false);
    expect(headersMatch({ list: [longOne] }, { list: [{ "!": "int64", value: 1 }] })).toBe(true);
    expect(headersMatch({ t: { n: 1 } }, { t: { n: { "!": "double", value: 1 } } })).toBe(false);
    expect(headersMatch({ list: ["ab"] }, { list: [Buffer.from("ab")] })).toBe(false);
    expect(headersMatch({ list: [Buffer.from("ab")] }, { list: [Buffer.from("ab")] })).toBe(true);
  });

  it("decimals compare by places and digits and never equal a plain number", () => {
    const decimal = (places: number, digits: number) => ({ "!": "decimal", value: { places, digits } });
    expect(headersMatch({ d: decimal(2, 150) }, { d: decimal(2, 150) })).toBe(true);
    expect(headersMatch({ d: decimal(2, 150) }, { d: decimal(1, 15) })).toBe(false);
    expect(headersMatch({ d: decimal(0, 15) }, { d: 15 })).toBe(false);
  });
});

describe("x-match validation", () => {
  it("accepts the four modes and absence", () => {
    expect(X_MATCH_VALUES).toEqual(["all", "any", "all-with-x", "any-with-x"]);
    for (const mode of X_MATCH_VALUES) expect(validateXMatch(mode)).toBe(mode);
    expect(validateXMatch(undefined)).toBe("all");
  });

  it.each([["some"], ["ALL"], ["Any"], [""], ["all "], [1], [true], [null], [["all"]]])(
    "refuses %j with PRECONDITION_FAILED naming it and the allowed values",
    (bad) => {
      const error = thrown(() => validateXMatch(bad));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.code).toBe("PRECONDITION_FAILED");
      expect(error.message).toContain(typeof bad === "string" ? JSON.stringify(bad) : String(bad));
      for (const mode of X_MATCH_VALUES) expect(error.message).toContain(`"${mode}"`);
    },
  );

  it("headersMatch refuses a binding with a bad x-match", () => {
    const error = thrown(() => headersMatch({ "x-match": "one", a: 1 }, { a: 1 }));
    expect(error.code).toBe("PRECONDITION_FAILED");
    expect(error.message).toContain('"one"');
  });

  it("headersMatch refuses unknown options and unknown numeric modes", () => {
    expect(thrown(() => headersMatch({}, {}, { strict: true } as never)).code).toBe("UNKNOWN_OPTION");
    expect(thrown(() => headersMatch({}, {}, { numericEquality: "loose" } as never)).code).toBe(
      "INVALID_ARGUMENT",
    );
  });
});
