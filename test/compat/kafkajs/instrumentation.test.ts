import { describe, expect, it } from "vitest";
import {
  type ConsumerGroupJoinEvent,
  type ConsumerReceivedUnsubcribedTopicsEvent,
  type InstrumentationEvent,
  KAFKAJS_CLUSTER_DEFAULTS,
  Kafka,
  logLevel,
  type RequestEvent,
  type RequestQueueSizeEvent,
  type RequestTimeoutEvent,
} from "../../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../../src/log/cluster.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

/**
 * kafkajs' network instrumentation events (REQUEST, REQUEST_TIMEOUT, REQUEST_QUEUE_SIZE on
 * producers, consumers and admins; the consumer's RECEIVED_UNSUBSCRIBED_TOPICS) with kafkajs'
 * names and payload shapes (src/network/requestQueue/socketRequest.js, consumerGroup.js), and the
 * numeric id every instrumentation event carries.
 */

/** A world of its own: an auto-driven simulation and a kafkajs-facing cluster with 5 ms latency. */
function world(options: { partitions?: number } = {}) {
  const sim = new Simulation({ drive: "auto", start: 0 });
  const cluster = new LogCluster(sim, {
    ...KAFKAJS_CLUSTER_DEFAULTS,
    defaultPartitions: options.partitions ?? 1,
    groupInitialRebalanceDelayMs: 0,
    requestLatencyMs: 5,
  });
  const kafka = (clientId: string) =>
    new Kafka({
      clientId,
      brokers: ["kafka-1:9092", "kafka-2:9093"],
      simulation: sim,
      cluster,
      logLevel: logLevel.NOTHING,
    });
  return { sim, cluster, kafka };
}

const REQUEST_FIELDS = [
  "apiKey",
  "apiName",
  "apiVersion",
  "broker",
  "clientId",
  "correlationId",
  "createdAt",
  "duration",
  "pendingDuration",
  "sentAt",
  "size",
].sort();

describe("kafkajs instrumentation events", () => {
  it("producer.network.request: one event per produce request, with kafkajs' payload", async () => {
    const { sim, kafka } = world();
    const producer = kafka("shop").producer();
    const events: RequestEvent[] = [];
    producer.on(producer.events.REQUEST, (e) => events.push(e));
    await producer.connect();
    await producer.send({ topic: "orders", messages: [{ key: "k", value: "hello" }] });
    await producer.send({ topic: "orders", messages: [{ value: "again" }, { value: "and again" }] });
    expect(events).toHaveLength(2);
    const [first, second] = events as [RequestEvent, RequestEvent];
    expect(first.type).toBe("producer.network.request");
    expect(Object.keys(first.payload).sort()).toEqual(REQUEST_FIELDS);
    expect(first.payload).toMatchObject({
      apiKey: 0,
      apiName: "Produce",
      apiVersion: 7,
      broker: "kafka-1:9092",
      clientId: "shop",
      correlationId: 0,
      pendingDuration: 0,
    });
    expect(second.payload.correlationId).toBe(1);
    // Virtual times: sent when created, answered one round trip later.
    expect(first.payload.sentAt).toBe(first.payload.createdAt);
    expect(first.payload.duration).toBeGreaterThan(0);
    expect(first.timestamp).toBe(first.payload.sentAt + first.payload.duration);
    // Produce v7 response: one topic, one partition.
    expect(first.payload.size).toBe(4 + 4 + 4 + (2 + "orders".length + 4) + (4 + 2 + 8 + 8 + 8));
    // Numeric ids counting up, as kafkajs' InstrumentationEvent gives them.
    expect(typeof first.id).toBe("number");
    expect(second.id).toBe(first.id + 1);
    await producer.disconnect();
    sim.close();
  });

  it("emits nothing, and spends no id, while nobody listens", async () => {
    const { sim, kafka } = world();
    const producer = kafka("quiet").producer();
    const seen: InstrumentationEvent<unknown>[] = [];
    await producer.connect();
    await producer.send({ topic: "t", messages: [{ value: "unobserved" }] });
    const remove = producer.on(producer.events.REQUEST, (e) => seen.push(e));
    await producer.send({ topic: "t", messages: [{ value: "observed" }] });
    remove();
    await producer.send({ topic: "t", messages: [{ value: "unobserved again" }] });
    expect(seen.map((e) => [e.id, (e as RequestEvent).payload.correlationId])).toEqual([[0, 1]]);
    await producer.disconnect();
    sim.close();
  });

  it("producer.network.request_queue_size: sends beyond the in-flight limit wait, as in kafkajs' request queue", async () => {
    const { sim, kafka } = world();
    const producer = kafka("burst").producer({ idempotent: true }); // one request in flight
    const sizes: number[] = [];
    const requests: RequestEvent[] = [];
    producer.on(producer.events.REQUEST_QUEUE_SIZE, (e: RequestQueueSizeEvent) => {
      expect(e.payload).toEqual({
        broker: "kafka-1:9092",
        clientId: "burst",
        queueSize: e.payload.queueSize,
      });
      sizes.push(e.payload.queueSize);
    });
    producer.on(producer.events.REQUEST, (e) => requests.push(e));
    await producer.connect();
    await Promise.all([0, 1, 2].map((i) => producer.send({ topic: "t", messages: [{ value: `m${i}` }] })));
    expect(sizes).toEqual([1, 2, 1, 0]);
    expect(requests).toHaveLength(3);
    // The queued ones were sent when a slot freed up: pendingDuration = sentAt - createdAt > 0.
    const pending = requests.map((r) => r.payload.pendingDuration);
    expect(pending[0]).toBe(0);
    expect(pending[1]).toBeGreaterThan(0);
    expect(pending[2]).toBeGreaterThanOrEqual(pending[1]!);
    for (const r of requests) expect(r.payload.sentAt - r.payload.createdAt).toBe(r.payload.pendingDuration);
    await producer.disconnect();
    sim.close();
  });

  it("consumer.network.request: JoinGroup, SyncGroup, Fetch, OffsetCommit and Heartbeat with kafkajs' API keys", async () => {
    const { sim, kafka } = world();
    const client = kafka("reader");
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: "t", messages: [{ value: "a" }, { value: "b" }] });
    const consumer = client.consumer({ groupId: "g", heartbeatInterval: 100 });
    const requests: RequestEvent[] = [];
    consumer.on(consumer.events.REQUEST, (e) => requests.push(e));
    let joined: ConsumerGroupJoinEvent | null = null;
    consumer.on(consumer.events.GROUP_JOIN, (e: ConsumerGroupJoinEvent) => {
      joined = e;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: ["t"], fromBeginning: true });
    let got = 0;
    const done = new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async () => {
          if (++got === 2) resolve();
        },
      });
    });
    await done;
    await sim.sleep(1000); // heartbeats and an auto-commit
    await consumer.disconnect();
    expect(joined).not.toBeNull();
    const byName = new Map<string, RequestEvent[]>();
    for (const r of requests) byName.set(r.payload.apiName, [...(byName.get(r.payload.apiName) ?? []), r]);
    const keys = Object.fromEntries([...byName].map(([name, list]) => [name, list[0]!.payload.apiKey]));
    expect(keys).toMatchObject({ JoinGroup: 11, SyncGroup: 14, Fetch: 1, OffsetCommit: 8, Heartbeat: 12 });
    expect(requests[0]!.payload.apiName).toBe("JoinGroup");
    expect(requests[1]!.payload.apiName).toBe("SyncGroup");
    expect(byName.get("Fetch")![0]!.payload).toMatchObject({
      apiVersion: 11,
      clientId: "reader",
      broker: "kafka-1:9092",
    });
    // The first data-carrying fetch reports the records' bytes in its size.
    expect(Math.max(...byName.get("Fetch")!.map((r) => r.payload.size))).toBeGreaterThan(2);
    // Correlation ids count per broker connection, without gaps, in request order.
    expect(requests.map((r) => r.payload.correlationId)).toEqual(requests.map((_, i) => i));
    for (const r of requests) expect(r.type).toBe("consumer.network.request");
    await producer.disconnect();
    sim.close();
  });

  it("consumer.network.request_timeout: a fetch the network loses times out with kafkajs' payload", async () => {
    const { sim, cluster, kafka } = world();
    const client = kafka("lossy");
    const producer = client.producer();
    await producer.connect();
    await producer.send({ topic: "t", messages: [{ value: "x" }] });
    let dropped = 0;
    cluster.network.setFaultHook((r) => (r.kind === "fetch" && dropped++ === 0 ? "drop-request" : undefined));
    const consumer = kafka("lossy").consumer({ groupId: "g" });
    const timeouts: RequestTimeoutEvent[] = [];
    consumer.on(consumer.events.REQUEST_TIMEOUT, (e) => timeouts.push(e));
    await consumer.connect();
    await consumer.subscribe({ topics: ["t"], fromBeginning: true });
    const done = new Promise<void>((resolve) => {
      void consumer.run({ eachMessage: async () => resolve() });
    });
    await done;
    await consumer.disconnect();
    expect(timeouts).toHaveLength(1);
    const [t] = timeouts as [RequestTimeoutEvent];
    expect(t.type).toBe("consumer.network.request_timeout");
    expect(Object.keys(t.payload).sort()).toEqual(
      REQUEST_FIELDS.filter((f) => f !== "duration" && f !== "size"),
    );
    expect(t.payload).toMatchObject({ apiKey: 1, apiName: "Fetch", apiVersion: 11, clientId: "lossy" });
    expect(t.timestamp - t.payload.sentAt).toBe(30_000); // the default requestTimeout
    await producer.disconnect();
    sim.close();
  });

  it("admin.network.request: each admin call is a request of its API; refused arguments send nothing", async () => {
    const { sim, kafka } = world();
    const admin = kafka("ops").admin();
    const requests: RequestEvent[] = [];
    admin.on(admin.events.REQUEST, (e) => requests.push(e));
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "orders", numPartitions: 2 }] });
    await admin.listTopics();
    await admin.fetchTopicOffsets("orders");
    await expect(admin.createTopics({ topics: "nope" as never })).rejects.toThrow();
    // An error response (UNKNOWN_TOPIC_OR_PARTITION) is still a response.
    await expect(admin.deleteTopics({ topics: ["missing"] })).rejects.toThrow();
    await admin.disconnect();
    expect(requests.map((r) => [r.payload.apiName, r.payload.apiKey])).toEqual([
      ["CreateTopics", 19],
      ["Metadata", 3],
      ["ListOffsets", 2],
      ["DeleteTopics", 20],
    ]);
    expect(requests.every((r) => r.type === "admin.network.request")).toBe(true);
    sim.close();
  });

  it("consumer.received_unsubscribed_topics: a member assigned a topic it did not subscribe to", async () => {
    const { sim, kafka } = world({ partitions: 2 });
    const client = kafka("mixed");
    const admin = client.admin();
    await admin.connect();
    await admin.createTopics({
      topics: [
        { topic: "a", numPartitions: 2 },
        { topic: "b", numPartitions: 2 },
      ],
    });
    const onlyA = client.consumer({ groupId: "g" });
    const onlyB = client.consumer({ groupId: "g" });
    const events: ConsumerReceivedUnsubcribedTopicsEvent[] = [];
    for (const c of [onlyA, onlyB]) c.on(c.events.RECEIVED_UNSUBSCRIBED_TOPICS, (e) => events.push(e));
    await onlyA.connect();
    await onlyB.connect();
    await onlyA.subscribe({ topics: ["a"] });
    await onlyB.subscribe({ topics: ["b"] });
    await Promise.all([
      onlyA.run({ eachMessage: async () => {} }),
      onlyB.run({ eachMessage: async () => {} }),
    ]);
    await sim.sleep(10_000);
    await onlyA.disconnect();
    await onlyB.disconnect();
    await admin.disconnect();
    // kafkajs' round robin spreads every subscribed topic over every member.
    expect(events.length).toBeGreaterThan(0);
    const e = events[0]!;
    expect(e.type).toBe("consumer.received_unsubscribed_topics");
    expect(Object.keys(e.payload).sort()).toEqual(
      [
        "assignedTopics",
        "generationId",
        "groupId",
        "memberId",
        "topicsNotSubscribed",
        "topicsSubscribed",
      ].sort(),
    );
    expect(e.payload.groupId).toBe("g");
    expect(e.payload.topicsNotSubscribed.length).toBeGreaterThan(0);
    for (const t of e.payload.topicsNotSubscribed) expect(e.payload.topicsSubscribed).not.toContain(t);
    sim.close();
  });

  it("types on() listeners with kafkajs' event types", () => {
    const { sim, kafka } = world();
    const consumer = kafka("typed").consumer({ groupId: "g" });
    const remove = consumer.on(consumer.events.GROUP_JOIN, (e) => {
      const assignment: Record<string, number[]> = e.payload.memberAssignment;
      return assignment;
    });
    // @ts-expect-error a HEARTBEAT event has no memberAssignment
    consumer.on(consumer.events.HEARTBEAT, (e) => e.payload.memberAssignment);
    // @ts-expect-error not an event of consumers (refused at run time too)
    expect(() => consumer.on("producer.connect", () => {})).toThrow(/Event name should be one of/);
    const producer = kafka("typed").producer();
    producer.on(producer.events.REQUEST_QUEUE_SIZE, (e) => e.payload.queueSize.toFixed());
    // @ts-expect-error a queue-size event has no duration
    producer.on(producer.events.REQUEST_QUEUE_SIZE, (e) => e.payload.duration);
    expect(typeof remove).toBe("function");
    sim.close();
  });

  it("is deterministic: the same program gives the same events, ids and times", async () => {
    const run = async () => {
      const { sim, kafka } = world();
      const producer = kafka("det").producer();
      const log: unknown[] = [];
      producer.on(producer.events.REQUEST, (e) => log.push(e));
      producer.on(producer.events.CONNECT, (e) => log.push(e));
      await producer.connect();
      for (let i = 0; i < 5; i++) await producer.send({ topic: "t", messages: [{ value: String(i) }] });
      await producer.disconnect();
      sim.close();
      return log;
    };
    const first = await run();
    expect(first).toHaveLength(6);
    expect(await run()).toEqual(first);
  });
});
