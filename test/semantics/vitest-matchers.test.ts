import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import "../../src/semantics/vitest.js";
import { check } from "../../src/semantics/check.js";
import { History } from "../../src/semantics/history.js";
import { builder } from "./helpers.js";

describe("brokerlab/vitest matchers", () => {
  it("toSatisfy(guarantee) passes on a good history and fails with anomalies and a diagram", () => {
    const good = builder().send("p", "m1").effect("c", "m1");
    expect(good.ops).toSatisfy("exactly-once");
    const bad = builder().send("p", "m1").effect("c", "m1").effect("c", "m1");
    expect(bad.ops).not.toSatisfy("exactly-once");
    expect(bad.ops).toSatisfy("at-least-once");
    let message = "";
    try {
      expect(bad.ops).toSatisfy({ guarantee: "exactly-once" });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain("duplicate: m1 was processed 2 times");
    expect(message).toContain("sequenceDiagram");
  });

  it("toSatisfy with a History instance and with options", () => {
    const h = History.fromJSON(
      builder()
        .send("p", "a", "ok", { key: "k" })
        .send("p", "b", "ok", { key: "k" })
        .receive("c", "b")
        .receive("c", "a").ops,
    );
    expect(h).toSatisfy("at-least-once");
    expect(h).not.toSatisfy({ guarantee: "at-least-once", ordering: "per-key" });
  });

  it("keeps vitest's own toSatisfy(predicate)", () => {
    expect(20).toSatisfy((n: number) => n >= 18);
    expect(3).not.toSatisfy((n: number) => n >= 18);
  });

  it("toHaveNoAnomalies on check results", () => {
    expect(check(builder().send("p", "m").receive("c", "m").ops)).toHaveNoAnomalies();
    expect(check(builder().send("p", "m").ops)).not.toHaveNoAnomalies();
    expect(() => expect(check(builder().send("p", "m").ops)).toHaveNoAnomalies()).toThrow(/lost: m was sent/);
  });

  fcTest.prop([fc.array(fc.boolean(), { maxLength: 20 })])(
    "works inside @fast-check/vitest properties: processing every ok send once satisfies exactly-once",
    (oks) => {
      const b = builder();
      oks.forEach((ok, i) => {
        b.send("p", `m${i}`, ok ? "ok" : "fail");
      });
      oks.forEach((ok, i) => {
        if (ok) b.effect("c", `m${i}`);
      });
      expect(b.ops).toSatisfy("exactly-once");
    },
  );
});
