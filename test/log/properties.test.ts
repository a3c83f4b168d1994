import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Consumer } from "../../src/log/consumer.js";
import type { FaultDecision } from "../../src/log/network.js";
import type { RecordMetadata } from "../../src/log/record.js";
import { setup } from "./helpers.js";

const RUNS = { numRuns: 100 };

const faultArb: fc.Arbitrary<FaultDecision> = fc.oneof(
  fc.constant<FaultDecision>("deliver"),
  fc.constant<FaultDecision>("drop-request"),
  fc.constant<FaultDecision>("drop-response"),
  fc.record({
    delayRequestMs: fc.integer({ min: 0, max: 3000 }),
    delayResponseMs: fc.integer({ min: 0, max: 3000 }),
  }),
);

describe("log properties", () => {
  it("per-partition order of each producer is preserved for any interleaving, with request faults", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            producer: fc.integer({ min: 0, max: 2 }),
            partition: fc.integer({ min: 0, max: 2 }),
            at: fc.integer({ min: 0, max: 500 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.array(faultArb, { maxLength: 8 }),
        fc.integer({ min: 0, max: 20 }),
        async (sends, faults, lingerMs) => {
          const { sim, cluster } = setup({ requestLatencyMs: 1 });
          cluster.createTopic("t", { partitions: 3 });
          let n = 0;
          cluster.network.setFaultHook((r) => (r.kind === "produce" ? faults[n++] : undefined));
          const producers = [0, 1, 2].map((i) =>
            cluster.producer({ clientId: `p${i}`, lingerMs, requestTimeoutMs: 1000, batchSize: 64 }),
          );
          const acks: Promise<RecordMetadata>[] = [];
          sends.forEach((s, i) => {
            sim.at(
              s.at,
              () =>
                void acks.push(
                  producers[s.producer]!.send({
                    topic: "t",
                    partition: s.partition,
                    value: `${s.producer}:${i}`,
                  }),
                ),
            );
          });
          await sim.run();
          await Promise.all(acks);
          for (let p = 0; p < 3; p++) {
            const values = cluster
              .partition("t", p)
              .all()
              .map((r) => r.value as string);
            expect(new Set(values).size).toBe(values.length); // idempotent: no duplicates
            for (let producer = 0; producer < 3; producer++) {
              const mine = values
                .filter((v) => v.startsWith(`${producer}:`))
                .map((v) => Number(v.split(":")[1]));
              const sent = sends
                .map((s, i) => ({ ...s, i }))
                .filter((s) => s.producer === producer && s.partition === p)
                .sort((a, b) => a.at - b.at || a.i - b.i)
                .map((s) => s.i);
              expect(mine).toEqual(sent);
            }
          }
          cluster.checkInvariants();
        },
      ),
      RUNS,
    );
  });

  it("every acknowledged record (acks=all) is readable at its offset until retention removes it", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.option(fc.constantFrom("a", "b", "c"), { nil: null }),
            at: fc.integer({ min: 0, max: 20_000 }),
            size: fc.integer({ min: 0, max: 20 }),
          }),
          { minLength: 1, maxLength: 50 },
        ),
        fc.record({
          retentionMs: fc.integer({ min: 1000, max: 30_000 }),
          segmentMs: fc.integer({ min: 100, max: 5000 }),
          retentionBytes: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 200 })),
        }),
        async (sends, config) => {
          const { sim, cluster } = setup({ retentionCheckIntervalMs: 700 });
          cluster.createTopic("t", { partitions: 2, config });
          const producer = cluster.producer({ acks: "all" });
          const acks: { value: string; meta: Promise<RecordMetadata> }[] = [];
          sends.forEach((s, i) => {
            sim.at(s.at, () => {
              const value = `${i}:${"x".repeat(s.size)}`;
              acks.push({ value, meta: producer.send({ topic: "t", key: s.key, value }) });
            });
          });
          await sim.runUntil(25_000);
          for (const { value, meta } of acks) {
            const m = await meta;
            const log = cluster.partition("t", m.partition);
            if (m.offset < log.logStartOffset) continue; // retention removed it
            expect(cluster.fetch("t", m.partition, m.offset, { maxRecords: 1 })[0]).toMatchObject({
              offset: m.offset,
              value,
            });
          }
          cluster.checkInvariants();
        },
      ),
      RUNS,
    );
  });

  it("an idempotent producer writes each record exactly once under any schedule of timeouts and retries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(faultArb, { maxLength: 15 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 64 }),
        async (faults, count, inFlight, batchSize) => {
          const { sim, cluster } = setup({ requestLatencyMs: 2 });
          cluster.createTopic("t");
          let n = 0;
          cluster.network.setFaultHook((r) => (r.kind === "produce" ? faults[n++] : undefined));
          const producer = cluster.producer({
            requestTimeoutMs: 1000,
            maxInFlightRequestsPerConnection: inFlight,
            batchSize,
          });
          const acks = Array.from({ length: count }, (_, i) => producer.send({ topic: "t", value: i }));
          await sim.run();
          const metas = await Promise.all(acks);
          const values = cluster
            .partition("t", 0)
            .all()
            .map((r) => r.value);
          expect(values).toEqual(Array.from({ length: count }, (_, i) => i));
          expect(metas.map((m) => m.offset)).toEqual(values.map((_, i) => i));
          cluster.checkInvariants();
        },
      ),
      RUNS,
    );
  });

  it("after each rebalance every partition has exactly one owner; cooperative groups never have two owners at once", async () => {
    const action = fc.oneof(
      fc.record({ type: fc.constant("join" as const) }),
      fc.record({ type: fc.constantFrom("close" as const, "crash" as const), who: fc.nat() }),
      fc.record({ type: fc.constant("wait" as const), ms: fc.integer({ min: 10, max: 2000 }) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom<"range" | "roundrobin" | "sticky" | "cooperative-sticky">(
          "range",
          "roundrobin",
          "sticky",
          "cooperative-sticky",
        ),
        fc.array(action, { maxLength: 10 }),
        async (partitions, initial, strategy, actions) => {
          const { sim, cluster } = setup({ requestLatencyMs: 1 });
          cluster.createTopic("t", { partitions });
          const live: Consumer[] = [];
          const make = () => {
            const c = cluster.consumer({
              groupId: "g",
              partitionAssignmentStrategy: [strategy],
              sessionTimeoutMs: 1000,
              heartbeatIntervalMs: 100,
              maxPollIntervalMs: 5000,
            });
            c.subscribe(["t"]);
            live.push(c);
          };
          const step = async (ms: number) => {
            for (let t = 0; t < ms; t += 50) {
              for (const c of live) c.poll();
              if (strategy === "cooperative-sticky") {
                const owned = live.flatMap((c) => c.assignment().map((tp) => tp.partition));
                expect(new Set(owned).size).toBe(owned.length);
              }
              await sim.runFor(50);
            }
          };
          for (let i = 0; i < initial; i++) make();
          await step(500);
          for (const a of actions) {
            if (a.type === "join") make();
            else if (a.type === "wait") await step(a.ms);
            else if (live.length > 0) {
              const [c] = live.splice(a.who % live.length, 1);
              if (a.type === "close") c!.close();
              else c!.crash();
            }
            await step(100);
          }
          await step(3000); // settle: session timeouts, second cooperative round
          const group = cluster.describeGroup("g");
          if (live.length === 0) return;
          expect(group.state).toBe("Stable");
          const owners = new Map<number, string>();
          for (const m of group.members)
            for (const tp of m.assignment) {
              expect(owners.has(tp.partition)).toBe(false);
              owners.set(tp.partition, m.memberId);
            }
          expect([...owners.keys()].sort((x, y) => x - y)).toEqual(
            Array.from({ length: partitions }, (_, i) => i),
          );
          for (const c of live) {
            expect(
              c
                .assignment()
                .map((tp) => tp.partition)
                .sort((x, y) => x - y),
            ).toEqual(
              group.members
                .find((m) => m.memberId === c.memberId)!
                .assignment.map((tp) => tp.partition)
                .sort((x, y) => x - y),
            );
          }
          cluster.checkInvariants();
        },
      ),
      { numRuns: 60 },
    );
  });

  it("committed offsets never go backwards unless the user seeks", async () => {
    const op = fc.oneof(
      fc.record({
        type: fc.constantFrom(
          "poll" as const,
          "commitSync" as const,
          "commitAsync" as const,
          "produce" as const,
        ),
        who: fc.nat({ max: 1 }),
      }),
      fc.record({ type: fc.constant("wait" as const), ms: fc.integer({ min: 1, max: 3000 }) }),
      fc.record({ type: fc.constant("seek" as const), who: fc.nat({ max: 1 }), offset: fc.nat({ max: 30 }) }),
      fc.record({ type: fc.constant("restart" as const), who: fc.nat({ max: 1 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const { sim, cluster } = setup({ requestLatencyMs: 1 });
        cluster.createTopic("t", { partitions: 2 });
        const producer = cluster.producer();
        const make = () => {
          const c = cluster.consumer({
            groupId: "g",
            autoOffsetReset: "earliest",
            autoCommitIntervalMs: 500,
            maxPollRecords: 3,
            sessionTimeoutMs: 1000,
            heartbeatIntervalMs: 100,
          });
          c.subscribe(["t"]);
          return c;
        };
        const consumers = [make(), make()];
        const last = new Map<number, number>();
        sim.bus.on("log.seek", (e) => last.delete(e.partition));
        sim.bus.on("log.commit", (e) => {
          for (const o of e.offsets) {
            expect(o.offset).toBeGreaterThanOrEqual(last.get(o.partition) ?? 0);
            last.set(o.partition, o.offset);
          }
        });
        for (const o of ops) {
          try {
            if (o.type === "wait") await sim.runFor(o.ms);
            else if (o.type === "produce")
              for (let i = 0; i < 5; i++) void producer.send({ topic: "t", value: i, partition: i % 2 });
            else {
              const c = consumers[o.who]!;
              if (o.type === "poll") c.poll();
              else if (o.type === "commitSync") c.commitSync();
              else if (o.type === "commitAsync") c.commitAsync();
              else if (o.type === "seek") {
                const assigned = c.assignment();
                if (assigned.length > 0)
                  c.seek(
                    assigned[0]!,
                    Math.min(o.offset, cluster.partition("t", assigned[0]!.partition).logEndOffset),
                  );
              } else {
                c.close();
                consumers[o.who] = make();
              }
            }
          } catch (error) {
            // Commits may be refused during rebalances; that is not a property violation.
            if (!(error instanceof Error && "code" in error)) throw error;
          }
          await sim.runFor(1);
        }
        cluster.checkInvariants();
      }),
      RUNS,
    );
  });
});
