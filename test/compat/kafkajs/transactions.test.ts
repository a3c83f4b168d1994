import { describe, expect, it } from "vitest";
import {
  type Consumer,
  type Kafka,
  KafkaJSNonRetriableError,
  KafkaJSProtocolError,
  type Producer,
  type Transaction,
} from "../../../src/compat/kafkajs/index.js";
import type { Simulation } from "../../../src/scheduler/simulation.js";
import { drive, eventually, manualWorld, quietKafka } from "./helpers.js";

/**
 * kafkajs transactions through the facade, written purely with kafkajs' API: the
 * consume-transform-produce loop, read_committed vs read_uncommitted readers, fencing of a zombie
 * by a new instance with the same transactionalId, and refusals of bad input.
 */

const ONGOING =
  "There is already an ongoing transaction for this producer. Please end the transaction before beginning another.";
const ENDED = "Cannot continue to use transaction once ended";

/** What a consumer has read: "partition:offset:value". */
interface Reader {
  consumer: Consumer;
  seen: string[];
  values(): string[];
  /** `consumer.run`: resolves once the consumer joined its group. */
  running: Promise<void>;
}

/** A consumer reading `topic` from the beginning (read_committed unless `readUncommitted`). */
async function reader(
  kafka: Kafka,
  groupId: string,
  topic: string,
  readUncommitted = false,
): Promise<Reader> {
  const consumer = kafka.consumer({ groupId, readUncommitted });
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  const running = consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push(`${partition}:${message.offset}:${message.value!.toString()}`);
    },
  });
  return { consumer, seen, values: () => seen.map((s) => s.split(":")[2]!).sort(), running };
}

/**
 * The exactly-once pipeline in kafkajs: each order is read, its total computed and written to
 * `order-totals`, and the order's offset committed, all in one transaction. `failOnce` makes the
 * handler fail after the send (the transaction is aborted, kafkajs retries the message).
 */
async function pipeline(kafka: Kafka, failOnce: Set<string> = new Set()) {
  const producer = kafka.producer({
    transactionalId: "totals-pipeline",
    idempotent: true,
    maxInFlightRequests: 1,
  });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: "pipeline" });
  await consumer.connect();
  await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
  const running = consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => {
      const order = JSON.parse(message.value!.toString()) as { id: string; items: number[] };
      const total = order.items.reduce((a, b) => a + b, 0);
      const tx = await producer.transaction();
      try {
        await tx.send({
          topic: "order-totals",
          messages: [{ key: order.id, value: `${order.id}=${total}` }],
        });
        if (failOnce.delete(order.id)) throw new Error(`transient failure after sending ${order.id}`);
        await tx.sendOffsets({
          consumerGroupId: "pipeline",
          topics: [{ topic, partitions: [{ partition, offset: String(Number(message.offset) + 1) }] }],
        });
        await tx.commit();
      } catch (error) {
        if (tx.isActive()) await tx.abort();
        throw error;
      }
    },
  });
  return { producer, consumer, running };
}

/** Sends `n` orders (keys spread them over the partitions) with a plain producer. */
async function sendOrders(producer: Producer, n: number, sim?: Simulation) {
  const messages = Array.from({ length: n }, (_, i) => ({
    key: `o${i}`,
    value: JSON.stringify({ id: `o${i}`, items: [i, 10, 100] }),
  }));
  const sending = producer.send({ topic: "orders", messages });
  return sim === undefined ? sending : drive(sim, sending);
}

const expectedTotals = (n: number) => Array.from({ length: n }, (_, i) => `o${i}=${i + 110}`).sort();

async function committedOffsets(kafka: Kafka, groupId: string, topic: string) {
  const [entry] = await kafka.admin().fetchOffsets({ groupId, topics: [topic] });
  return entry!.partitions
    .slice()
    .sort((a, b) => a.partition - b.partition)
    .map((p) => p.offset);
}

async function highs(kafka: Kafka, topic: string) {
  return (await kafka.admin().fetchTopicOffsets(topic))
    .slice()
    .sort((a, b) => a.partition - b.partition)
    .map((p) => p.high);
}

/** Awaits a rejection and returns it. */
async function rejection(promise: Promise<unknown>): Promise<KafkaJSNonRetriableError & { type?: string }> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as KafkaJSNonRetriableError & { type?: string };
}

describe("kafkajs transactions: consume-transform-produce", () => {
  it("auto mode: every order's total is read exactly once by a read_committed consumer, offsets commit with it", async () => {
    const kafka = quietKafka({ cluster: { defaultPartitions: 2 } });
    const sim = kafka.simulation;
    const admin = kafka.admin();
    await admin.createTopics({
      topics: [
        { topic: "orders", numPartitions: 3 },
        { topic: "order-totals", numPartitions: 1 },
      ],
    });
    const orders = kafka.producer();
    await orders.connect();
    await sendOrders(orders, 12);
    const run = await pipeline(kafka, new Set(["o3", "o7"]));
    const committed = await reader(kafka, "committed-reader", "order-totals");
    const everything = await reader(kafka, "uncommitted-reader", "order-totals", true);
    await eventually(sim, () => committed.seen.length >= 12, "the committed totals");
    await sim.sleep(10_000); // nothing more arrives
    expect(committed.values()).toEqual(expectedTotals(12)); // exactly once, despite two failed attempts
    // read_uncommitted also sees the two aborted attempts' records.
    expect(everything.values()).toEqual([...expectedTotals(12), "o3=113", "o7=117"].sort());
    // The input offsets were committed by the transactions: every order is consumed.
    const ends = (await highs(kafka, "orders")).map((h) => (h === "0" ? "-1" : h));
    expect(await committedOffsets(kafka, "pipeline", "orders")).toEqual(ends);
    // One control marker per transaction: 14 records + 14 markers in the single partition.
    expect(await highs(kafka, "order-totals")).toEqual(["28"]);
    // Each record is followed by its transaction's marker, so a reader sees only even offsets, and
    // the aborted attempts leave holes among them.
    const offsets = committed.seen.map((s) => Number(s.split(":")[1]));
    expect(offsets.every((o) => o % 2 === 0)).toBe(true);
    expect(new Set(offsets).size).toBe(12);
    expect(Math.max(...offsets)).toBe(26);
    for (const c of [run.consumer, committed.consumer, everything.consumer]) await c.disconnect();
    await run.producer.disconnect();
    sim.close();
  });

  it("manual mode: the test drives the clock; nothing is visible to read_committed before the commit", async () => {
    const { sim, kafka } = manualWorld(1);
    const orders = kafka.producer();
    await orders.connect();
    await sendOrders(orders, 5, sim);
    const committed = await reader(kafka, "committed-reader", "order-totals");
    const everything = await reader(kafka, "uncommitted-reader", "order-totals", true);

    // One transaction by hand, step by step.
    const producer = kafka.producer({ transactionalId: "by-hand", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await drive(sim, producer.transaction());
    expect(tx.isActive()).toBe(true);
    const [meta] = await drive(sim, tx.send({ topic: "order-totals", messages: [{ value: "open" }] }));
    expect(meta).toMatchObject({ topicName: "order-totals", partition: 0, baseOffset: "0" });
    await sim.runFor(6000); // the readers join (3 s) and fetch
    expect(everything.values()).toEqual(["open"]);
    expect(committed.values()).toEqual([]); // below the last stable offset: nothing
    await drive(sim, tx.commit());
    expect(tx.isActive()).toBe(false);
    await sim.runFor(6000);
    expect(committed.seen).toEqual(["0:0:open"]);

    // The loop, driven by the clock.
    const run = await pipeline(kafka);
    const started = sim.now;
    while (committed.seen.length < 6 && sim.now < started + 60_000) await sim.runFor(100);
    expect(committed.values()).toEqual([...expectedTotals(5), "open"].sort());
    expect(everything.values()).toEqual(committed.values());
    expect(await committedOffsets(kafka, "pipeline", "orders")).toEqual(["5"]);
    // 6 transactions, each a record and a commit marker.
    expect(await highs(kafka, "order-totals")).toEqual(["12"]);
    for (const c of [run.consumer, committed.consumer, everything.consumer]) await drive(sim, c.disconnect());
  });
});

describe("kafkajs transactions: abort, fencing, timeouts", () => {
  it("abort hides the records from read_committed consumers; read_uncommitted sees them; sent offsets are dropped", async () => {
    const kafka = quietKafka({ cluster: { defaultPartitions: 2 } });
    const sim = kafka.simulation;
    kafka.cluster.createTopic("in");
    const producer = kafka.producer({ transactionalId: "aborter", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    const metas = await tx.sendBatch({
      topicMessages: [
        {
          topic: "out",
          messages: [
            { partition: 0, value: "aborted-1" },
            { partition: 1, value: "aborted-2" },
          ],
        },
      ],
    });
    expect(metas.map((m) => m.partition)).toEqual([0, 1]); // both partitions are in the transaction
    await tx.sendOffsets({
      consumerGroupId: "g",
      topics: [{ topic: "in", partitions: [{ partition: 0, offset: "7" }] }],
    });
    await tx.abort();
    expect(tx.isActive()).toBe(false);
    const next = await producer.transaction();
    await next.send({ topic: "out", messages: [{ key: "a", value: "committed" }] });
    await next.commit();
    const committed = await reader(kafka, "rc", "out");
    const everything = await reader(kafka, "ru", "out", true);
    await eventually(sim, () => everything.seen.length >= 3 && committed.seen.length >= 1, "the readers");
    await sim.sleep(6000);
    expect(committed.values()).toEqual(["committed"]);
    expect(everything.values()).toEqual(["aborted-1", "aborted-2", "committed"]);
    expect(await committedOffsets(kafka, "g", "in")).toEqual(["-1", "-1"]); // the aborted offsets never counted
    sim.close();
  });

  it.each(["send", "commit"] as const)(
    "a second producer with the same transactionalId fences the first: its next %s rejects with PRODUCER_FENCED",
    async (next) => {
      const kafka = quietKafka();
      const sim = kafka.simulation;
      const zombie = kafka.producer({ transactionalId: "shop", idempotent: true, maxInFlightRequests: 1 });
      await zombie.connect();
      const old = await zombie.transaction();
      await old.send({ topic: "out", messages: [{ value: "zombie-1" }] });

      const successor = kafka.producer({ transactionalId: "shop", idempotent: true, maxInFlightRequests: 1 });
      await successor.connect();
      // kafkajs registers the transactional id on the first transaction(), not on connect.
      await old.send({ topic: "out", messages: [{ value: "zombie-2" }] });
      const fresh = await successor.transaction(); // InitProducerId: bumps the epoch, aborts the open transaction

      const error = await rejection(
        next === "send" ? old.send({ topic: "out", messages: [{ value: "zombie-3" }] }) : old.commit(),
      );
      expect(error).toBeInstanceOf(KafkaJSProtocolError);
      expect(error).toMatchObject({
        brokerlabCode: "PRODUCER_FENCED",
        type: "KAFKAJS_UNKNOWN_ERROR_CODE", // kafkajs 2.2.4 has no entry for Kafka's code 90
        retriable: false,
      });
      expect(old.isActive()).toBe(false);
      // Fatal for the zombie: every later call is refused the same way, its records never appear.
      for (const call of [
        () => old.send({ topic: "out", messages: [{ value: "zombie-4" }] }),
        () => old.commit(),
        () => old.abort(),
        () => zombie.transaction(),
      ]) {
        expect((await rejection(call())).brokerlabCode).toBe("PRODUCER_FENCED");
      }

      await fresh.send({ topic: "out", messages: [{ value: "successor" }] });
      await fresh.commit();
      const committed = await reader(kafka, "rc", "out");
      const everything = await reader(kafka, "ru", "out", true);
      await eventually(sim, () => committed.seen.length >= 1 && everything.seen.length >= 3, "the readers");
      await sim.sleep(6000);
      expect(committed.values()).toEqual(["successor"]);
      expect(everything.values()).toEqual(["successor", "zombie-1", "zombie-2"]);
      sim.close();
    },
  );

  it("a transaction open longer than transactionTimeout is aborted by the coordinator; the producer is fenced", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const producer = kafka.producer({ transactionalId: "slow", transactionTimeout: 1000 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: "out", messages: [{ value: "too-late" }] });
    // The coordinator looks for expired transactions every 10 s
    // (transaction.abort.timed.out.transaction.cleanup.interval.ms).
    await sim.sleep(15_000);
    expect((await rejection(tx.commit())).brokerlabCode).toBe("PRODUCER_FENCED");
    const committed = await reader(kafka, "rc", "out");
    const everything = await reader(kafka, "ru", "out", true);
    await eventually(sim, () => everything.seen.length >= 1, "the uncommitted reader");
    await sim.sleep(6000);
    expect(committed.seen).toEqual([]);
    sim.close();
  });

  it("producer.send outside a transaction is not transactional, as in kafkajs: read_committed sees it at once", async () => {
    const kafka = quietKafka();
    const sim = kafka.simulation;
    const producer = kafka.producer({ transactionalId: "mixed", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: "out", messages: [{ value: "in-tx" }] });
    await producer.send({ topic: "out", messages: [{ value: "plain" }] }); // beside the open transaction
    const committed = await reader(kafka, "rc", "out");
    await sim.sleep(6000);
    // The open transaction holds back the last stable offset, so "plain" (after it) waits too.
    expect(committed.seen).toEqual([]);
    await tx.abort();
    await eventually(sim, () => committed.seen.length >= 1, "the plain record");
    expect(committed.values()).toEqual(["plain"]);
    sim.close();
  });
});

describe("kafkajs transactions: bad input is refused with kafkajs' errors and changes nothing", () => {
  it("transaction() on a non-transactional producer, a second transaction while one is open", async () => {
    const kafka = quietKafka();
    const plain = kafka.producer({ idempotent: true });
    await plain.connect();
    const noId = await rejection(plain.transaction());
    expect(noId).toBeInstanceOf(KafkaJSNonRetriableError);
    expect(noId.message).toBe("Must provide transactional id for transactional producer");

    const producer = kafka.producer({
      transactionalId: "one-at-a-time",
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    // Two at once, before the id is even registered: one wins.
    const both = await Promise.allSettled([producer.transaction(), producer.transaction()]);
    expect(both.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const tx = (both.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<Transaction>).value;
    const loser = (both.find((r) => r.status === "rejected") as PromiseRejectedResult).reason as Error;
    expect(loser).toBeInstanceOf(KafkaJSNonRetriableError);
    expect(loser.message).toBe(ONGOING);
    const second = await rejection(producer.transaction());
    expect(second).toBeInstanceOf(KafkaJSNonRetriableError);
    expect(second.message).toBe(ONGOING);
    // The open transaction is untouched and goes on.
    expect(tx.isActive()).toBe(true);
    await tx.send({ topic: "out", messages: [{ value: "x" }] });
    await tx.commit();
    // Once ended, the transaction object refuses everything; a new one can begin.
    for (const call of [
      () => tx.send({ topic: "out", messages: [{ value: "y" }] }),
      () => tx.sendBatch({ topicMessages: [{ topic: "out", messages: [{ value: "y" }] }] }),
      () => tx.sendOffsets({ consumerGroupId: "g", topics: [] }),
      () => tx.commit(),
      () => tx.abort(),
    ]) {
      const e = await rejection(call());
      expect(e).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(e.message).toBe(ENDED);
    }
    const again = await producer.transaction();
    expect(again.isActive()).toBe(true);
    await again.abort();
    expect(await highs(kafka, "out")).toEqual(["2"]); // x and its commit marker, nothing else
    kafka.simulation.close();
  });

  it("sendOffsets with a bad shape, sends kafkajs refuses: the transaction stays open and unchanged", async () => {
    const kafka = quietKafka();
    kafka.cluster.createTopic("in");
    const producer = kafka.producer({ transactionalId: "careful", idempotent: true, maxInFlightRequests: 1 });
    const tx = await producer.transaction(); // works before connect, as in kafkajs…
    expect((await rejection(tx.send({ topic: "out", messages: [{ value: "x" }] }))).message).toBe(
      "The producer is disconnected", // …but sends need a connected producer
    );
    await producer.connect();
    const bad: [unknown, string][] = [
      [undefined, "transaction.sendOffsets: expected"],
      [{ topics: [] }, "Missing consumerGroupId"],
      [{ consumerGroupId: "g" }, "Missing offset topics"],
      [{ consumerGroupId: 7, topics: [] }, "consumerGroupId must be a string"],
      [{ consumerGroupId: "g", topics: "in" }, "topics must be an array"],
      [{ consumerGroupId: "g", topics: [{ topic: "in" }] }, "partitions must be an array"],
      [
        { consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: "ten" }] }] },
        "offset",
      ],
      [
        { consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: 0, offset: "-1" }] }] },
        "≥ 0",
      ],
      [
        { consumerGroupId: "g", topics: [{ topic: "in", partitions: [{ partition: -1, offset: "1" }] }] },
        "partition",
      ],
      [
        {
          consumerGroupId: "g",
          topics: [{ topic: "in", partitions: [{ partition: 0, offset: "1", extra: true }] }],
        },
        "extra",
      ],
      [
        {
          consumerGroupId: "g",
          topics: [
            { topic: "in", partitions: [{ partition: 0, offset: "1" }] },
            { topic: "in", partitions: [{ partition: 0, offset: "2" }] },
          ],
        },
        "appears twice",
      ],
      [{ consumerGroupId: "g", topics: [], groupInstanceId: "x" }, "groupInstanceId"],
    ];
    for (const [arg, text] of bad) {
      const e = await rejection(tx.sendOffsets(arg as never));
      expect(e, text).toBeInstanceOf(KafkaJSNonRetriableError);
      expect(e.message, text).toContain(text);
      expect(typeof e.brokerlabCode).toBe("string");
      expect(tx.isActive()).toBe(true);
    }
    const acks = await rejection(tx.send({ topic: "out", acks: 1, messages: [{ value: "x" }] }));
    expect(acks.message).toBe(
      "Not requiring ack for all messages invalidates the idempotent producer's EoS guarantees",
    );
    expect((await rejection(tx.send({ topic: "", messages: [] }))).message).toBe("Invalid topic");
    expect(tx.isActive()).toBe(true);
    expect(kafka.cluster.listTopics()).toEqual(["in"]); // nothing was created or written
    await tx.sendOffsets({
      consumerGroupId: "g",
      topics: [{ topic: "in", partitions: [{ partition: 0, offset: 3 as never }] }],
    });
    await tx.commit();
    expect(await committedOffsets(kafka, "g", "in")).toEqual(["3"]);
    kafka.simulation.close();
  });

  it("a request the broker refuses dooms the transaction: commit rejects with INVALID_TXN_STATE, abort goes on", async () => {
    const kafka = quietKafka();
    const producer = kafka.producer({ transactionalId: "doomed", idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const tx = await producer.transaction();
    await tx.send({ topic: "out", messages: [{ value: "x" }] });
    const refused = await rejection(
      tx.sendOffsets({
        consumerGroupId: "g",
        topics: [{ topic: "nope", partitions: [{ partition: 0, offset: "1" }] }],
      }),
    );
    expect(refused).toMatchObject({ type: "UNKNOWN_TOPIC_OR_PARTITION" });
    const commit = await rejection(tx.commit());
    expect(commit).toMatchObject({ type: "INVALID_TXN_STATE", code: 48, brokerlabCode: "INVALID_TXN_STATE" });
    expect(tx.isActive()).toBe(true); // the transaction can still be aborted
    await tx.abort();
    expect(tx.isActive()).toBe(false);
    const next = await producer.transaction();
    await next.send({ topic: "out", messages: [{ value: "y" }] });
    await next.commit();
    expect(await highs(kafka, "out")).toEqual(["4"]); // x, abort marker, y, commit marker
    kafka.simulation.close();
  });

  it("a transactionTimeout above the broker's transaction.max.timeout.ms is refused by the coordinator", async () => {
    const kafka = quietKafka();
    const producer = kafka.producer({ transactionalId: "patient", transactionTimeout: 3_600_000 });
    await producer.connect();
    const e = await rejection(producer.transaction());
    expect(e).toBeInstanceOf(KafkaJSProtocolError);
    expect(e.type).toBe("INVALID_TRANSACTION_TIMEOUT");
    kafka.simulation.close();
  });
});
