import { describe, expect, it } from "vitest";
import type { LogCluster } from "../../src/log/cluster.js";
import type { Producer } from "../../src/log/producer.js";
import { setup } from "./helpers.js";
import { drive, outcome, PROTOCOLS, txnSetup } from "./txn-helpers.js";

const code = (c: string) => expect.objectContaining({ code: c });

/** Everything a transactional call could change: coordinator, logs, group offsets. */
function snapshot(cluster: LogCluster, producer?: Producer) {
  return JSON.stringify({
    txns: cluster.transactions.transactionalIds().map((id) => cluster.transactions.describe(id)),
    logs: cluster.listTopics().flatMap((t) =>
      cluster.offsets(t).map((o) => ({
        t,
        ...o,
        entries: cluster
          .partition(t, o.partition)
          .entries()
          .map((e) => [e.offset, e.kind, e.value]),
      })),
    ),
    groups: cluster.listGroups().map((g) => ({
      g,
      offsets: cluster.groupOffsets(g),
      pending: [...(cluster.coordinator.state(g)?.pendingTxnOffsets.entries() ?? [])],
    })),
    client: producer === undefined ? null : [producer.transactionState, producer.producerId, producer.epoch],
  });
}

function syncCode(call: () => unknown): string {
  try {
    const result = call();
    if (result instanceof Promise) result.catch(() => {});
    return "no error";
  } catch (error) {
    return (error as { code: string }).code;
  }
}

describe("transactional bad input: clear errors, nothing half-applied", () => {
  it("transactional calls on a non-transactional producer are INVALID_TXN_STATE and change nothing", async () => {
    const { sim, cluster } = setup();
    cluster.createTopic("t");
    const plain = cluster.producer();
    const before = snapshot(cluster, plain);
    const calls: [string, () => unknown][] = [
      ["initTransactions", () => plain.initTransactions()],
      ["beginTransaction", () => plain.beginTransaction()],
      [
        "sendOffsetsToTransaction",
        () => plain.sendOffsetsToTransaction([{ topic: "t", partition: 0, offset: 0 }], "g"),
      ],
      ["commitTransaction", () => plain.commitTransaction()],
      ["abortTransaction", () => plain.abortTransaction()],
      ["setTransactionCrashHook", () => plain.setTransactionCrashHook(() => false)],
    ];
    for (const [name, call] of calls) {
      expect(call, name).toThrow(code("INVALID_TXN_STATE"));
      expect(call, name).toThrow(/not transactional/);
    }
    expect(plain.transactionState).toBeNull();
    expect(snapshot(cluster, plain)).toBe(before);
    const ack = plain.send({ topic: "t", value: "still works" });
    await sim.run();
    expect((await ack).offset).toBe(0);
  });

  it.each(PROTOCOLS)(
    "%s: calls in the wrong state are INVALID_TXN_STATE, with a hint, and change nothing",
    async (protocol) => {
      const { sim, cluster } = txnSetup(protocol);
      cluster.createTopic("t");
      const producer = cluster.producer({ transactionalId: "tx" });
      const checks: Record<string, string> = {};
      const check = (label: string, call: () => unknown) => {
        const before = snapshot(cluster, producer);
        checks[label] = syncCode(call);
        expect(snapshot(cluster, producer), label).toBe(before);
      };
      await drive(sim, async () => {
        check("begin before init", () => producer.beginTransaction());
        check("send before init", () => producer.send({ topic: "t", value: 1 }));
        check("commit before init", () => producer.commitTransaction());
        await producer.initTransactions();
        check("init twice", () => producer.initTransactions());
        check("commit without begin", () => producer.commitTransaction());
        check("abort without begin", () => producer.abortTransaction());
        check("send outside a transaction", () => producer.send({ topic: "t", value: 1 }));
        check("sendOffsets outside a transaction", () =>
          producer.sendOffsetsToTransaction([{ topic: "t", partition: 0, offset: 0 }], "g"),
        );
        producer.beginTransaction();
        check("begin twice", () => producer.beginTransaction());
        await producer.send({ topic: "t", value: 1 });
        await producer.commitTransaction();
        check("send after commit", () => producer.send({ topic: "t", value: 2 }));
      });
      expect(checks).toEqual({
        "begin before init": "INVALID_TXN_STATE",
        "send before init": "INVALID_TXN_STATE",
        "commit before init": "INVALID_TXN_STATE",
        "init twice": "INVALID_TXN_STATE",
        "commit without begin": "INVALID_TXN_STATE",
        "abort without begin": "INVALID_TXN_STATE",
        "send outside a transaction": "INVALID_TXN_STATE",
        "sendOffsets outside a transaction": "INVALID_TXN_STATE",
        "begin twice": "INVALID_TXN_STATE",
        "send after commit": "INVALID_TXN_STATE",
      });
      producer.beginTransaction();
      expect(() => producer.beginTransaction()).toThrow(/already open/);
    },
  );

  it("malformed sendOffsetsToTransaction arguments are refused before anything is sent", async () => {
    const { sim, cluster } = txnSetup("v1");
    cluster.createTopic("t");
    const producer = cluster.producer({ transactionalId: "tx" });
    await drive(sim, () => producer.initTransactions());
    producer.beginTransaction();
    const before = snapshot(cluster, producer);
    const ok = [{ topic: "t", partition: 0, offset: 0 }];
    const cases: [unknown, unknown, string][] = [
      ["not a list", "g", "INVALID_ARGUMENT"],
      [[{ topic: "t", partition: 0, offset: -1 }], "g", "INVALID_ARGUMENT"],
      [[{ topic: "t", partition: 0, offset: 1, extra: 1 }], "g", "UNKNOWN_OPTION"],
      [[...ok, ...ok], "g", "INVALID_ARGUMENT"],
      [ok, 42, "INVALID_ARGUMENT"],
      [ok, "", "INVALID_ARGUMENT"],
      [
        ok,
        { groupId: "g", generationId: 1, memberId: "m", groupInstanceId: null, bogus: 1 },
        "UNKNOWN_OPTION",
      ],
      [ok, { groupId: null, generationId: -1, memberId: "", groupInstanceId: null }, "INVALID_GROUP_ID"],
      [ok, { groupId: "g", generationId: 1.5, memberId: "m", groupInstanceId: null }, "INVALID_ARGUMENT"],
    ];
    for (const [offsets, metadata, expected] of cases) {
      expect(
        syncCode(() => producer.sendOffsetsToTransaction(offsets as never, metadata as never)),
        JSON.stringify([offsets, metadata]),
      ).toBe(expected);
    }
    expect(snapshot(cluster, producer)).toBe(before);
    expect(producer.transactionState).toBe("IN_TRANSACTION");
  });

  it("offsets of unknown partitions or beyond the log end are refused by the group coordinator (abortable); no offsets pend", async () => {
    const { sim, cluster } = txnSetup("v2");
    cluster.createTopic("t");
    const producer = cluster.producer({ transactionalId: "tx" });
    const codes = await drive(sim, async () => {
      await producer.initTransactions();
      const result: string[] = [];
      for (const offsets of [
        [{ topic: "t", partition: 5, offset: 0 }],
        [{ topic: "t", partition: 0, offset: 99 }],
      ]) {
        producer.beginTransaction();
        result.push(await outcome(producer.sendOffsetsToTransaction(offsets, "g")));
        result.push(String(cluster.coordinator.state("g")?.pendingTxnOffsets.size ?? 0));
        await producer.abortTransaction();
      }
      return result;
    });
    expect(codes).toEqual(["UNKNOWN_TOPIC_OR_PARTITION", "0", "OFFSET_OUT_OF_RANGE", "0"]);
  });

  it("bad producer and cluster options are refused at construction", () => {
    const { cluster } = setup();
    expect(() => cluster.producer({ transactionalId: "" })).toThrow(code("INVALID_ARGUMENT"));
    expect(() => cluster.producer({ transactionalId: 7 as unknown as string })).toThrow(
      code("INVALID_ARGUMENT"),
    );
    expect(() => cluster.producer({ transactionalId: "tx", acks: 1 })).toThrow(code("INVALID_CONFIG"));
    expect(() => cluster.producer({ transactionalId: "tx", maxInFlightRequestsPerConnection: 6 })).toThrow(
      code("INVALID_CONFIG"),
    );
    expect(() => cluster.producer({ transactionalId: "tx", transactionTimeoutMs: 0 })).toThrow(
      code("INVALID_ARGUMENT"),
    );
    expect(() => cluster.producer({ transactionalId: "tx", transactionTimeout: 5 } as object)).toThrow(
      code("UNKNOWN_OPTION"),
    );
    expect(() => setup({ transactionProtocol: "v3" as "v1" })).toThrow(code("INVALID_ARGUMENT"));
    expect(() => setup({ transactionMaxTimeoutMs: 0 })).toThrow(code("INVALID_ARGUMENT"));
    expect(cluster.producer({ transactionalId: "tx" }).idempotent).toBe(true);
  });

  it("a transaction timeout above transaction.max.timeout.ms fails initTransactions (INVALID_TRANSACTION_TIMEOUT) and registers nothing", async () => {
    const { sim, cluster } = txnSetup("v1", { transactionMaxTimeoutMs: 10_000 });
    const producer = cluster.producer({ transactionalId: "tx", transactionTimeoutMs: 60_000 });
    const result = await drive(sim, () => outcome(producer.initTransactions()));
    expect(result).toBe("INVALID_TRANSACTION_TIMEOUT");
    expect(cluster.transactions.transactionalIds()).toEqual([]);
    expect(producer.transactionState).toBe("FATAL_ERROR");
  });

  it("a second commit while one is in progress joins it instead of sending another EndTxn", async () => {
    const { sim, cluster } = txnSetup("v1");
    cluster.createTopic("t");
    const producer = cluster.producer({ transactionalId: "tx" });
    let endTxns = 0;
    cluster.network.setFaultHook((r) => {
      if (r.kind === "end-txn") endTxns++;
      return undefined;
    });
    await drive(sim, async () => {
      await producer.initTransactions();
      producer.beginTransaction();
      producer.send({ topic: "t", value: 1 });
      const a = producer.commitTransaction();
      const b = producer.commitTransaction();
      expect(b).toBe(a);
      await a;
    });
    expect(endTxns).toBe(1);
  });
});
