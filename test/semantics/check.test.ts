import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { check } from "../../src/semantics/check.js";
import { History } from "../../src/semantics/history.js";
import { builder } from "./helpers.js";

const kinds = (r: ReturnType<typeof check>) => r.anomalies.map((a) => a.kind);

describe("check: each anomaly kind, with a history that has it and one that almost has it", () => {
  it("lost: an ok send never processed; an info send never processed is not lost", () => {
    const has = builder().send("p", "m1").send("p", "m2").receive("c", "m1");
    const r = check(has.ops, { guarantee: "at-least-once" });
    expect(r.valid).toBe(false);
    expect(kinds(r)).toEqual(["lost"]);
    expect(r.anomalies[0]!.ids).toEqual(["m2"]);
    expect(r.anomalies[0]!.evidence.map((o) => o.type)).toEqual(["invoke", "ok"]);
    const almost = builder().send("p", "m1").send("p", "m2", "info").receive("c", "m1");
    expect(check(almost.ops, { guarantee: "at-least-once" }).valid).toBe(true);
    expect(check(almost.ops, { guarantee: "exactly-once" }).anomalies).toEqual([]);
  });

  it("lost is reported but allowed under at-most-once", () => {
    const r = check(builder().send("p", "m1").ops, { guarantee: "at-most-once" });
    expect(r.valid).toBe(true);
    expect(r.anomalies[0]).toMatchObject({ kind: "lost", violation: false });
  });

  it("duplicate: processed twice; a violation under exactly-once, reported under at-least-once", () => {
    const has = builder().send("p", "m1").effect("c", "m1").effect("c", "m1");
    const eo = check(has.ops, { guarantee: "exactly-once" });
    expect(eo.valid).toBe(false);
    expect(eo.anomalies[0]).toMatchObject({ kind: "duplicate", ids: ["m1"], violation: true });
    expect(eo.anomalies[0]!.evidence.map((o) => `${o.type} ${o.f}`)).toEqual([
      "invoke send",
      "ok send",
      "ok effect",
      "ok effect",
    ]);
    const alo = check(has.ops, { guarantee: "at-least-once" });
    expect(alo.valid).toBe(true);
    expect(alo.anomalies[0]).toMatchObject({ kind: "duplicate", violation: false });
    expect(check(has.ops, { guarantee: "at-most-once" }).valid).toBe(false);
    // Almost: two different effects of one message are not a duplicate, nor is a redelivery
    // that was received twice but processed (effect) once.
    const almost = builder()
      .send("p", "m1")
      .receive("c", "m1")
      .effect("c", "m1", "charge")
      .receive("c", "m1", { redelivered: true })
      .effect("c", "m1", "email");
    expect(check(almost.ops, { guarantee: "exactly-once" }).anomalies).toEqual([]);
    // …but counted by receive it is one.
    expect(kinds(check(almost.ops, { guarantee: "exactly-once", processedBy: "receive" }))).toEqual([
      "duplicate",
    ]);
  });

  it("duplicate of an info send: exactly-once allows it processed once, not twice", () => {
    const once = builder().send("p", "m1", "info").effect("c", "m1");
    expect(check(once.ops, { guarantee: "exactly-once" }).valid).toBe(true);
    const twice = builder().send("p", "m1", "info").effect("c", "m1").effect("c", "m1");
    expect(check(twice.ops, { guarantee: "exactly-once" }).valid).toBe(false);
  });

  it("unexpected: processed though its send failed or never happened; an info send is fine", () => {
    const failed = builder().send("p", "m1", "fail").receive("c", "m1");
    expect(kinds(check(failed.ops))).toEqual(["unexpected"]);
    expect(check(failed.ops).valid).toBe(false);
    const never = builder().receive("c", "ghost");
    const r = check(never.ops, { guarantee: "at-most-once" });
    expect(r.valid).toBe(false);
    expect(r.anomalies[0]!.message).toContain("never sent");
    const almost = builder().send("p", "m1", "info").receive("c", "m1");
    expect(check(almost.ops).valid).toBe(true);
  });

  it("unexpected: a send in an aborted transaction counts as failed", () => {
    const has = builder()
      .send("p", "m1", "ok", { txn: "t1" })
      .event("p", "txn", { txn: "t1", action: "abort" })
      .receive("c", "m1", { isolation: "read_uncommitted" });
    expect(kinds(check(has.ops))).toEqual(["unexpected"]);
    const almost = builder()
      .send("p", "m1", "ok", { txn: "t1" })
      .event("p", "txn", { txn: "t1", action: "commit" })
      .receive("c", "m1");
    expect(check(almost.ops, { guarantee: "exactly-once" }).anomalies).toEqual([]);
  });

  it("aborted-read (G1a): a read_committed receive of an aborted transaction's record", () => {
    const has = builder()
      .send("p", "m1", "ok", { txn: "t1", topic: "t", partition: 0, offset: 0 })
      .event("p", "txn", { txn: "t1", action: "abort" })
      .receive("c", "m1", { isolation: "read_committed", topic: "t", partition: 0, offset: 0 });
    const r = check(has.ops);
    expect(kinds(r)).toContain("aborted-read");
    expect(r.anomalies.find((a) => a.kind === "aborted-read")!.evidence.map((o) => o.f)).toEqual([
      "send",
      "send",
      "txn",
      "receive",
    ]);
    // Almost: the same record read read_committed after a commit.
    const almost = builder()
      .send("p", "m1", "ok", { txn: "t1", topic: "t", partition: 0, offset: 0 })
      .event("p", "txn", { txn: "t1", action: "commit" })
      .receive("c", "m1", { isolation: "read_committed", topic: "t", partition: 0, offset: 0 });
    expect(check(almost.ops).anomalies).toEqual([]);
  });

  it("a send whose transaction never ended is an unknown outcome (not lost)", () => {
    const r = check(builder().send("p", "m1", "ok", { txn: "t9" }).ops);
    expect(r.valid).toBe(true);
    expect(r.counts.sent).toEqual({ ok: 0, fail: 0, info: 1 });
  });

  it("reordered (per-key): sent in order by one producer, processed the other way", () => {
    const has = builder()
      .send("p", "a", "ok", { key: "k" })
      .send("p", "b", "ok", { key: "k" })
      .effect("c", "b")
      .effect("c", "a");
    const r = check(has.ops, { ordering: "per-key" });
    expect(r.valid).toBe(false);
    expect(r.anomalies[0]).toMatchObject({ kind: "reordered", ids: ["a", "b"] });
    expect(check(has.ops, { ordering: "none" }).valid).toBe(true);
    // Almost: different keys, or concurrent sends (b invoked before a completed).
    const keys = builder()
      .send("p", "a", "ok", { key: "k1" })
      .send("p", "b", "ok", { key: "k2" })
      .effect("c", "b")
      .effect("c", "a");
    expect(check(keys.ops, { ordering: "per-key" }).valid).toBe(true);
    const ops = builder();
    ops.add("p", "invoke", "send", { id: "a", key: "k" });
    ops.add("p", "invoke", "send", { id: "b", key: "k" });
    ops.add("p", "ok", "send", { id: "a", key: "k" });
    ops.add("p", "ok", "send", { id: "b", key: "k" });
    ops.effect("c", "b").effect("c", "a");
    expect(check(ops.ops, { ordering: "per-key" }).valid).toBe(true);
    // Two producers on one key are not ordered against each other.
    const producers = builder()
      .send("p1", "a", "ok", { key: "k" })
      .send("p2", "b", "ok", { key: "k" })
      .effect("c", "b")
      .effect("c", "a");
    expect(check(producers.ops, { ordering: "per-key" }).valid).toBe(true);
  });

  it("reordered (per-partition)", () => {
    const has = builder()
      .send("p", "a", "ok", { topic: "t", partition: 1 })
      .send("p", "b", "ok", { topic: "t", partition: 1 })
      .receive("c", "b")
      .receive("c", "a");
    expect(kinds(check(has.ops, { ordering: "per-partition" }))).toEqual(["reordered"]);
    const almost = builder()
      .send("p", "a", "ok", { topic: "t", partition: 1 })
      .send("p", "b", "ok", { topic: "t", partition: 2 })
      .receive("c", "b")
      .receive("c", "a");
    expect(check(almost.ops, { ordering: "per-partition" }).valid).toBe(true);
  });

  const at = (_id: string, offset: number) => ({ topic: "t", partition: 0, offset });

  it("nonmonotonic-poll: a consumer goes back in offset; excused across a rebalance, seek or restart", () => {
    const has = builder()
      .send("p", "a", "ok", at("a", 0))
      .send("p", "b", "ok", at("b", 1))
      .receive("c", "a", at("a", 0))
      .receive("c", "b", at("b", 1))
      .receive("c", "a", at("a", 0));
    const r = check(has.ops, { ordering: "per-partition" });
    expect(kinds(r)).toContain("nonmonotonic-poll");
    for (const reset of ["rebalance", "seek", "restart"]) {
      const almost = builder()
        .send("p", "a", "ok", at("a", 0))
        .send("p", "b", "ok", at("b", 1))
        .receive("c", "a", at("a", 0))
        .receive("c", "b", at("b", 1))
        .event("c", reset)
        .receive("c", "a", at("a", 0));
      expect(kinds(check(almost.ops, { ordering: "per-partition" }))).not.toContain("nonmonotonic-poll");
    }
    // Another consumer reading the same offset is not a step back.
    const other = builder()
      .send("p", "a", "ok", at("a", 0))
      .receive("c1", "a", at("a", 0))
      .receive("c2", "a", at("a", 0));
    expect(kinds(check(other.ops, { ordering: "per-partition" }))).not.toContain("nonmonotonic-poll");
  });

  it("poll-skip: a consumer jumps over a visible offset; a gap of markers is not a skip", () => {
    const has = builder()
      .send("p", "a", "ok", at("a", 0))
      .send("p", "b", "ok", at("b", 1))
      .send("p", "c", "ok", at("c", 2))
      .receive("c", "a", at("a", 0))
      .receive("c", "c", at("c", 2))
      .receive("c2", "b", at("b", 1));
    const r = check(has.ops, { ordering: "per-partition" });
    expect(r.anomalies.find((a) => a.kind === "poll-skip")?.message).toContain("over visible offset 1");
    const almost = builder()
      .send("p", "a", "ok", at("a", 0))
      .send("p", "c", "ok", at("c", 2)) // offset 1 is a transaction marker: never visible
      .receive("c", "a", at("a", 0))
      .receive("c", "c", at("c", 2));
    expect(check(almost.ops, { ordering: "per-partition" }).anomalies).toEqual([]);
  });

  it("poll anomalies are reported but allowed without ordering under at-least-once", () => {
    const has = builder()
      .send("p", "a", "ok", at("a", 0))
      .receive("c", "a", at("a", 0))
      .receive("c", "a", at("a", 0));
    const r = check(has.ops, { guarantee: "at-least-once" });
    expect(r.valid).toBe(true);
    expect(r.anomalies.map((a) => [a.kind, a.violation])).toEqual([
      ["duplicate", false],
      ["nonmonotonic-poll", false],
    ]);
    expect(check(has.ops, { guarantee: "exactly-once" }).valid).toBe(false);
  });
});

describe("check: counts, rendering, options", () => {
  it("counts sends and processing", () => {
    const h = builder()
      .send("p", "a")
      .send("p", "b", "fail")
      .send("p", "c", "info")
      .send("p", "d")
      .effect("c", "a")
      .effect("c", "c")
      .effect("c", "c");
    const r = check(h.ops);
    expect(r.counts.sent).toEqual({ ok: 2, fail: 1, info: 1 });
    expect(r.counts.processed).toEqual({ once: 1, moreThanOnce: 1, never: 2 });
    expect(r.toText()).toContain("lost: d was sent (ok) but never processed.");
    expect(r.toMarkdown()).toContain("| lost | yes | d |");
  });

  it("processedBy defaults to effect when the history holds effects", () => {
    expect(check(builder().send("p", "a").effect("c", "a").ops).processedBy).toBe("effect");
    expect(check(builder().send("p", "a").receive("c", "a").ops).processedBy).toBe("receive");
  });

  it("refuses bad options and bad histories with codes", () => {
    const ops = builder().send("p", "a").ops;
    expect(() => check(ops, { guarantee: "twice" as never })).toThrow(
      expect.objectContaining({ code: "UNKNOWN_GUARANTEE" }),
    );
    expect(() => check(ops, { ordering: "global" as never })).toThrow(
      expect.objectContaining({ code: "UNKNOWN_ORDERING" }),
    );
    expect(() => check(ops, { nope: 1 } as never)).toThrow(
      expect.objectContaining({ code: "UNKNOWN_OPTION" }),
    );
    expect(() =>
      check([{ index: 0, time: 0, process: "p", type: "ok", f: "send", value: { id: "a" } }]),
    ).toThrow(expect.objectContaining({ code: "UNMATCHED_COMPLETION" }));
    expect(() => check("nope" as never)).toThrow(expect.objectContaining({ code: "INVALID_HISTORY" }));
  });

  it("accepts a History loaded from JSON lines", () => {
    const h = builder().send("p", "a").send("p", "b").effect("c", "a");
    const text = h.ops.map((o) => JSON.stringify(o)).join("\n");
    const loaded = History.fromJSON(text);
    expect(loaded.toJSONLines().trim()).toBe(text);
    expect(kinds(check(loaded))).toEqual(["lost"]);
  });

  it("property: a history where every ok send is processed exactly once, in order, is valid under every guarantee and ordering", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("k1", "k2", "k3"), fc.boolean()), { maxLength: 40 }),
        (msgs) => {
          const b = builder();
          msgs.forEach(([key], i) => {
            b.send("p", `m${i}`, "ok", { key, topic: "t", partition: 0, offset: i });
          });
          msgs.forEach(([key], i) => {
            b.receive("c", `m${i}`, { key, topic: "t", partition: 0, offset: i });
          });
          for (const guarantee of ["at-most-once", "at-least-once", "exactly-once"] as const)
            for (const ordering of ["none", "per-key", "per-partition"] as const)
              if (!check(b.ops, { guarantee, ordering }).valid) return false;
          return true;
        },
      ),
    );
  });

  it("property: dropping one processing of an ok send is always found as lost; doubling one as duplicate", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.nat(), (n, pick) => {
        const victim = pick % n;
        const lost = builder();
        const dup = builder();
        for (let i = 0; i < n; i++) {
          lost.send("p", `m${i}`);
          dup.send("p", `m${i}`);
        }
        for (let i = 0; i < n; i++) {
          if (i !== victim) lost.effect("c", `m${i}`);
          dup.effect("c", `m${i}`);
          if (i === victim) dup.effect("c", `m${i}`);
        }
        const l = check(lost.ops);
        const d = check(dup.ops, { guarantee: "exactly-once" });
        return (
          l.anomalies.length === 1 &&
          l.anomalies[0]!.kind === "lost" &&
          l.anomalies[0]!.ids[0] === `m${victim}` &&
          d.anomalies.length === 1 &&
          d.anomalies[0]!.kind === "duplicate" &&
          d.anomalies[0]!.ids[0] === `m${victim}`
        );
      }),
    );
  });
});
