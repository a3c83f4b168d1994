import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import * as facade from "../../../src/compat/kafkajs/index.js";

/**
 * brokerlab/kafkajs exports what kafkajs 2.2.4 exports (node_modules/kafkajs/index.js): the same
 * names, the same enum values, and error classes built from the same constructor arguments with
 * the same names, messages, `retriable` flags, fields and prototype chains.
 */

const require = createRequire(import.meta.url);
const real = require("kafkajs") as Record<string, unknown>;
const ours = facade as unknown as Record<string, unknown>;

type Ctor = new (...args: unknown[]) => Error;

/** Class names from the instance's prototype up to Error. */
function chain(error: object): string[] {
  const names: string[] = [];
  for (
    let p = Object.getPrototypeOf(error);
    p !== null && p !== Object.prototype;
    p = Object.getPrototypeOf(p)
  ) {
    names.push(p.constructor.name);
  }
  return names;
}

const FIELDS = [
  "name",
  "message",
  "retriable",
  "type",
  "topic",
  "partition",
  "broker",
  "correlationId",
  "createdAt",
  "sentAt",
  "pendingDuration",
  "unknownPartitions",
  "apiKey",
  "apiName",
  "memberId",
  "host",
  "port",
  "retryCount",
  "retryTime",
] as const;

const timeout = {
  broker: "k:9094",
  clientId: "c",
  correlationId: 3,
  createdAt: 10,
  sentAt: 12,
  pendingDuration: 2,
};

/** kafkajs' error classes and constructor arguments as kafkajs' own code and types use them. */
const CASES: [string, () => unknown[]][] = [
  ["KafkaJSError", () => ["Invalid partition metadata", { retriable: false }]],
  ["KafkaJSError", () => [new Error("💣"), { retriable: true }]],
  ["KafkaJSNonRetriableError", () => ["no"]],
  ["KafkaJSProtocolError", () => ["plain message"]],
  [
    "KafkaJSProtocolError",
    () => [{ type: "NOT_CONTROLLER", code: 41, retriable: true, message: "not controller" }],
  ],
  ["KafkaJSOffsetOutOfRange", () => [new Error("out"), { topic: "t", partition: 2 }]],
  [
    "KafkaJSMemberIdRequired",
    () => [{ type: "MEMBER_ID_REQUIRED", code: 79, message: "m" }, { memberId: "m-1" }],
  ],
  ["KafkaJSNumberOfRetriesExceeded", () => [new Error("last"), { retryCount: 5, retryTime: 800 }]],
  [
    "KafkaJSConnectionError",
    () => ["Connection error: ECONNREFUSED", { broker: "k:9094", code: "ECONNREFUSED" }],
  ],
  ["KafkaJSConnectionClosedError", () => ["Closed connection", { host: "k", port: 9092 }]],
  ["KafkaJSRequestTimeoutError", () => ["Request Produce(key: 0, version: 7) timed out", timeout]],
  ["KafkaJSMetadataNotLoaded", () => ["Metadata not loaded"]],
  ["KafkaJSTopicMetadataNotLoaded", () => ["Topic metadata not loaded", { topic: "t" }]],
  [
    "KafkaJSStaleTopicMetadataAssignment",
    () => ["Topic has been updated", { topic: "t", unknownPartitions: [3] }],
  ],
  ["KafkaJSDeleteGroupsError", () => ["Error deleting groups", []]],
  ["KafkaJSServerDoesNotSupportApiKey", () => ["unsupported", { apiKey: 0, apiName: "Produce" }]],
  ["KafkaJSBrokerNotFound", () => ["Broker 3 not found"]],
  ["KafkaJSPartialMessageError", () => ["partial"]],
  ["KafkaJSSASLAuthenticationError", () => ["SASL failed"]],
  ["KafkaJSGroupCoordinatorNotFound", () => ["no coordinator"]],
  ["KafkaJSNotImplemented", () => ["not implemented"]],
  ["KafkaJSTimeout", () => ["timed out"]],
  ["KafkaJSLockTimeout", () => ["lock timed out"]],
  ["KafkaJSUnsupportedMagicByteInMessageSet", () => ["magic byte 3"]],
  ["KafkaJSDeleteTopicRecordsError", () => [{ topic: "t", partitions: [{ partition: 0, offset: "1" }] }]],
  ["KafkaJSInvariantViolation", () => ["Correlation id already exists"]],
  ["KafkaJSInvalidVarIntError", () => ["bad varint"]],
  ["KafkaJSInvalidLongError", () => ["bad long"]],
  [
    "KafkaJSCreateTopicError",
    () => [{ type: "TOPIC_ALREADY_EXISTS", code: 36, message: "exists" }, "orders"],
  ],
  ["KafkaJSAlterPartitionReassignmentsError", () => [{ type: "X", code: 1, message: "m" }, "orders", 4]],
  ["KafkaJSAggregateError", () => ["Topic creation errors", [new Error("a")]]],
  ["KafkaJSFetcherRebalanceError", () => []],
  ["KafkaJSNoBrokerAvailableError", () => []],
];

describe("brokerlab/kafkajs exports what kafkajs 2.2.4 exports", () => {
  it("every runtime export of kafkajs exists in the facade, with the same kind", () => {
    const names = Object.keys(real);
    expect(names.length).toBeGreaterThan(40);
    const missing = names.filter((name) => ours[name] === undefined);
    expect(missing).toEqual([]);
    for (const name of names) expect(typeof ours[name], name).toBe(typeof real[name]);
  });

  it("enums have exactly kafkajs' values", () => {
    for (const name of [
      "logLevel",
      "CompressionTypes",
      "ConfigResourceTypes",
      "ConfigSource",
      "AclResourceTypes",
      "AclOperationTypes",
      "AclPermissionTypes",
      "ResourcePatternTypes",
    ]) {
      expect({ ...(ours[name] as object) }, name).toEqual({ ...(real[name] as object) });
    }
  });

  it("covers every error class kafkajs exports", () => {
    const classes = Object.keys(real).filter((n) => /^KafkaJS/.test(n) && typeof real[n] === "function");
    expect(new Set(CASES.map(([name]) => name))).toEqual(new Set(classes));
  });

  it.each(CASES)(
    "%s: same name, message, retriable, fields and prototype chain as kafkajs'",
    (name, args) => {
      const theirs = new (real[name] as Ctor)(...args()) as unknown as Record<string, unknown>;
      const mine = new (ours[name] as Ctor)(...args()) as unknown as Record<string, unknown>;
      expect(mine).toBeInstanceOf(Error);
      expect(mine).toBeInstanceOf(ours[name] as Ctor);
      expect(chain(mine)).toEqual(chain(theirs));
      for (const field of FIELDS) {
        if (theirs[field] !== undefined) expect(mine[field], `${name}.${field}`).toEqual(theirs[field]);
      }
      // instanceof follows kafkajs' hierarchy: a facade error is a facade KafkaJSError exactly when
      // kafkajs' is a kafkajs KafkaJSError, and so on down the chain.
      for (const base of [
        "KafkaJSError",
        "KafkaJSNonRetriableError",
        "KafkaJSProtocolError",
        "KafkaJSTimeout",
      ]) {
        expect(mine instanceof (ours[base] as Ctor), `${name} instanceof ${base}`).toBe(
          theirs instanceof (real[base] as Ctor),
        );
      }
      if (mine instanceof facade.KafkaJSError) expect(typeof mine.brokerlabCode).toBe("string");
    },
  );

  it("KafkaJSConnectionError's code is the socket error's code, as in kafkajs", () => {
    const e = new facade.KafkaJSConnectionError("Connection error", { code: "ECONNREFUSED" });
    expect(e.code).toBe("ECONNREFUSED");
    expect(new facade.KafkaJSConnectionError("Connection error").brokerlabCode).toBe("CONNECTION_ERROR");
  });

  it("KafkaJSDeleteTopicRecordsError is retriable only when every partition's error is", () => {
    const retriable = new facade.KafkaJSError("x");
    const fatal = new facade.KafkaJSNonRetriableError("y");
    const both = new facade.KafkaJSDeleteTopicRecordsError({
      topic: "t",
      partitions: [
        { partition: 0, offset: "1", error: retriable },
        { partition: 1, offset: "1", error: fatal },
      ],
    });
    expect(both.retriable).toBe(false);
    const one = new facade.KafkaJSDeleteTopicRecordsError({
      topic: "t",
      partitions: [{ partition: 0, offset: "1", error: retriable }],
    });
    expect(one.retriable).toBe(true);
  });

  it("a protocol error type builds kafkajs' message, code and retriable flag", () => {
    const e = new facade.KafkaJSProtocolError("UNKNOWN_TOPIC_OR_PARTITION");
    expect([e.type, e.code, e.retriable, e.message]).toEqual([
      "UNKNOWN_TOPIC_OR_PARTITION",
      3,
      true,
      "This server does not host this topic-partition",
    ]);
  });

  it("default simulation helpers are exported", () => {
    expect(typeof facade.defaultSimulation).toBe("function");
    expect(typeof facade.resetDefaultSimulation).toBe("function");
  });
});
