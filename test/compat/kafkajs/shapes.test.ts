import { createRequire } from "node:module";
import type * as K from "kafkajs";
import * as real from "kafkajs";
import { describe, expect, it } from "vitest";
import * as facade from "../../../src/compat/kafkajs/index.js";
import { LogError } from "../../../src/log/errors.js";
import { quietKafka } from "./helpers.js";

const require = createRequire(import.meta.url);

describe("shapes compared with kafkajs 2.2.4", () => {
  it("clients are assignable to kafkajs' own declarations (checked by the typecheck)", () => {
    // Never called: the assignments below are the test, checked by `tsc --noEmit`.
    const typeShapes = (kafka: facade.Kafka): [K.Producer, K.Consumer, K.Admin] => {
      const producer: K.Producer = kafka.producer({
        createPartitioner: facade.Partitioners.DefaultPartitioner,
      });
      const consumer: K.Consumer = kafka.consumer({
        groupId: "g",
        partitionAssigners: [facade.PartitionAssigners.roundRobin],
      });
      const admin: K.Admin = kafka.admin();
      const metadata: K.RecordMetadata[] = [] as facade.RecordMetadata[];
      const message: K.KafkaMessage = {} as facade.KafkaMessage;
      const payload: K.EachMessagePayload = {} as facade.EachMessagePayload;
      const batchPayload: K.EachBatchPayload = {} as facade.EachBatchPayload;
      const transaction: K.Transaction = {} as facade.Transaction;
      void [metadata, message, payload, batchPayload, transaction];
      return [producer, consumer, admin];
    };
    expect(typeShapes).toBeTypeOf("function");
  });

  it("exports kafkajs' runtime names, with the same values for enums", () => {
    for (const name of [
      "Kafka",
      "PartitionAssigners",
      "AssignerProtocol",
      "Partitioners",
      "logLevel",
      "CompressionTypes",
      "CompressionCodecs",
    ]) {
      expect(facade).toHaveProperty(name);
    }
    expect({ ...facade.logLevel }).toEqual({ ...real.logLevel });
    expect({ ...facade.CompressionTypes }).toEqual({ ...real.CompressionTypes });
    expect(Object.keys(facade.Partitioners).sort()).toEqual(Object.keys(real.Partitioners).sort());
    expect(Object.keys(facade.PartitionAssigners)).toEqual(Object.keys(real.PartitionAssigners));
    for (const name of [
      "KafkaJSError",
      "KafkaJSNonRetriableError",
      "KafkaJSProtocolError",
      "KafkaJSOffsetOutOfRange",
      "KafkaJSNumberOfRetriesExceeded",
      "KafkaJSRequestTimeoutError",
      "KafkaJSTopicMetadataNotLoaded",
      "KafkaJSStaleTopicMetadataAssignment",
      "KafkaJSAggregateError",
      "KafkaJSCreateTopicError",
      "KafkaJSDeleteGroupsError",
      "KafkaJSNotImplemented",
    ]) {
      expect(real, name).toHaveProperty(name);
      expect(facade, name).toHaveProperty(name);
    }
  });

  it("event names equal kafkajs' producer, consumer and admin events", () => {
    const kafka = new real.Kafka({ brokers: ["127.0.0.1:1"], logLevel: real.logLevel.NOTHING });
    const sim = quietKafka();
    expect({ ...sim.consumer({ groupId: "g" }).events }).toEqual({
      ...kafka.consumer({ groupId: "g" }).events,
    });
    expect({ ...sim.producer().events }).toEqual({ ...kafka.producer().events });
    expect({ ...sim.admin().events }).toEqual({ ...kafka.admin().events });
    sim.simulation.close();
  });

  it("client objects have kafkajs' methods", () => {
    const kafka = new real.Kafka({ brokers: ["127.0.0.1:1"], logLevel: real.logLevel.NOTHING });
    const sim = quietKafka();
    const methods = (o: object) =>
      Object.entries(o)
        .filter(([, v]) => typeof v === "function")
        .map(([k]) => k)
        .sort();
    expect(methods(sim.producer())).toEqual(methods(kafka.producer()));
    expect(methods(sim.consumer({ groupId: "g" }))).toEqual(methods(kafka.consumer({ groupId: "g" })));
    expect(methods(sim.admin())).toEqual(methods(kafka.admin()));
    sim.simulation.close();
  });

  it("protocol errors carry kafkajs' codes, retriable flags and messages", () => {
    const { errorCodes } = require("kafkajs/src/protocol/error.js") as {
      errorCodes: { type: string; code: number; retriable: boolean; message: string }[];
    };
    for (const [type, entry] of Object.entries(facade.PROTOCOL_ERRORS)) {
      if (type === "KAFKAJS_UNKNOWN_ERROR_CODE") continue; // kafkajs builds it for codes it does not know
      const k = errorCodes.find((e) => e.type === type);
      expect(k, type).toBeDefined();
      expect({ code: entry.code, retriable: entry.retriable, message: entry.message }).toEqual({
        code: k!.code,
        retriable: k!.retriable,
        message: k!.message,
      });
    }
    const e = new facade.KafkaJSProtocolError("REBALANCE_IN_PROGRESS");
    expect([e.name, e.type, e.code, e.retriable, e.brokerlabCode]).toEqual([
      "KafkaJSProtocolError",
      "REBALANCE_IN_PROGRESS",
      27,
      false,
      "REBALANCE_IN_PROGRESS",
    ]);
  });

  it("native errors map to kafkajs' (a Kafka code kafkajs lacks becomes KAFKAJS_UNKNOWN_ERROR_CODE)", () => {
    const fenced = facade.toKafkaJSError(new LogError("PRODUCER_FENCED", "fenced by a newer epoch"));
    expect(fenced).toMatchObject({
      type: "KAFKAJS_UNKNOWN_ERROR_CODE",
      code: -99,
      brokerlabCode: "PRODUCER_FENCED",
    });
    const generation = facade.toKafkaJSError(new LogError("ILLEGAL_GENERATION", "stale"));
    expect(generation).toMatchObject({
      name: "KafkaJSProtocolError",
      type: "ILLEGAL_GENERATION",
      code: 22,
      retriable: false,
    });
    const closed = facade.toKafkaJSError(new LogError("PRODUCER_CLOSED", "closed"));
    expect(closed).toMatchObject({
      name: "KafkaJSNonRetriableError",
      code: "PRODUCER_CLOSED",
      brokerlabCode: "PRODUCER_CLOSED",
    });
  });

  it("AssignerProtocol encodes byte for byte as kafkajs does", () => {
    const assignment = { orders: [0, 2, 4], payments: [1] };
    expect(facade.AssignerProtocol.MemberAssignment.encode({ version: 0, assignment })).toEqual(
      real.AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    );
    expect(facade.AssignerProtocol.MemberMetadata.encode({ version: 1, topics: ["a", "ü"] })).toEqual(
      real.AssignerProtocol.MemberMetadata.encode({
        version: 1,
        topics: ["a", "ü"],
        userData: Buffer.alloc(0),
      }),
    );
    const decoded = facade.AssignerProtocol.MemberAssignment.decode(
      real.AssignerProtocol.MemberAssignment.encode({ version: 0, assignment, userData: Buffer.alloc(0) }),
    );
    expect(decoded?.assignment).toEqual(assignment);
  });

  it("the round-robin assigner assigns as kafkajs' does", async () => {
    const partitions: Record<string, number> = { a: 3, b: 2, c: 5 };
    const cluster = {
      findTopicPartitionMetadata: (topic: string) =>
        Array.from({ length: partitions[topic] ?? 0 }, (_, partitionId) => ({
          partitionId,
          partitionErrorCode: 0,
          leader: 0,
          replicas: [0],
          isr: [0],
        })),
    };
    const members = ["m-3", "m-1", "m-2"].map((memberId) => ({ memberId, memberMetadata: Buffer.alloc(0) }));
    const ours = await facade.PartitionAssigners.roundRobin({
      cluster,
      groupId: "g",
      logger: {} as never,
    }).assign({
      members,
      topics: ["c", "a", "b"],
    });
    const theirs = await real.PartitionAssigners.roundRobin({
      cluster: cluster as never,
      groupId: "g",
      logger: {} as never,
    }).assign({
      members,
      topics: ["c", "a", "b"],
    });
    const decode = (list: { memberId: string; memberAssignment: Buffer }[]) =>
      list.map((m) => [
        m.memberId,
        real.AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment,
      ]);
    expect(decode(ours)).toEqual(decode(theirs));
  });

  it("partitioners choose kafkajs' partitions for keys and round-robin null keys", () => {
    const partitionMetadata = Array.from({ length: 7 }, (_, partitionId) => ({
      partitionId,
      partitionErrorCode: 0,
      leader: 0,
      replicas: [0],
      isr: [0],
    }));
    for (const name of ["DefaultPartitioner", "LegacyPartitioner"] as const) {
      const ours = facade.Partitioners[name]();
      const theirs = real.Partitioners[name]();
      for (const key of ["", "a", "abc", "key-42", "ключ", "🙂"]) {
        const message = { key, value: "v" };
        expect(ours({ topic: "t", partitionMetadata, message }), `${name} ${key}`).toBe(
          theirs({ topic: "t", partitionMetadata, message }),
        );
      }
    }
    const rr = facade.Partitioners.DefaultPartitioner();
    const picks = Array.from({ length: 14 }, () =>
      rr({ topic: "n", partitionMetadata, message: { value: "x" } }),
    );
    expect(new Set(picks).size).toBe(7);
  });

  it("consumer and producer defaults are kafkajs' (not the Java client's)", async () => {
    const kafka = quietKafka();
    const consumer = kafka.consumer({ groupId: "defaults" });
    await consumer.subscribe({ topic: "d" });
    await consumer.run({ eachMessage: async () => {} });
    const group = kafka.cluster.coordinator.state("defaults")!;
    const member = [...group.members.values()][0]!;
    expect([member.sessionTimeoutMs, member.rebalanceTimeoutMs, member.protocols]).toEqual([
      30_000,
      60_000,
      ["RoundRobinAssigner"],
    ]);
    expect(kafka.cluster.describeTopic("d").partitions).toBe(1); // num.partitions
    await consumer.disconnect();
    kafka.simulation.close();
  });
});
