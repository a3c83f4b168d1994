import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  type KafkaJSProtocolError,
  ResourcePatternTypes,
} from "../../../src/compat/kafkajs/index.js";
import { AclAuthorizer, type AclBinding, clusterAcls, matchesFilter } from "../../../src/log/acl.js";
import { drive, manualWorld, quietKafka } from "./helpers.js";

const { TOPIC, GROUP, CLUSTER, ANY: ANY_RESOURCE } = AclResourceTypes;
const { LITERAL, PREFIXED, MATCH, ANY: ANY_PATTERN } = ResourcePatternTypes;
const { READ, WRITE, DESCRIBE, ALL, ANY: ANY_OP } = AclOperationTypes;
const { ALLOW, DENY, ANY: ANY_PERMISSION } = AclPermissionTypes;

const acl = (over: Partial<AclBinding>): AclBinding => ({
  resourceType: TOPIC,
  resourceName: "orders",
  resourcePatternType: LITERAL,
  principal: "User:alice",
  host: "*",
  operation: READ,
  permissionType: ALLOW,
  ...over,
});
const anyFilter = {
  resourceType: ANY_RESOURCE,
  resourcePatternType: ANY_PATTERN,
  operation: ANY_OP,
  permissionType: ANY_PERMISSION,
};

describe("kafkajs admin ACLs: createAcls, describeAcls, deleteAcls", () => {
  it("uses kafkajs' numeric enum values", () => {
    expect(AclResourceTypes).toEqual({
      UNKNOWN: 0,
      ANY: 1,
      TOPIC: 2,
      GROUP: 3,
      CLUSTER: 4,
      TRANSACTIONAL_ID: 5,
      DELEGATION_TOKEN: 6,
    });
    expect(AclOperationTypes).toMatchObject({
      ANY: 1,
      ALL: 2,
      READ: 3,
      WRITE: 4,
      DESCRIBE: 8,
      IDEMPOTENT_WRITE: 12,
    });
    expect(AclPermissionTypes).toEqual({ UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 });
    expect(ResourcePatternTypes).toEqual({ UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 });
  });

  it("creates, describes grouped by resource, filters by pattern type, deletes what a filter matches", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    expect(
      await admin.createAcls({
        acl: [
          acl({}),
          acl({ operation: WRITE }),
          acl({ resourceName: "ord", resourcePatternType: PREFIXED, principal: "User:bob" }),
          acl({ resourceName: "*", principal: "User:carol" }),
          acl({ resourceType: GROUP, resourceName: "billing" }),
          acl({}), // a duplicate is stored once
        ],
      }),
    ).toBe(true);
    const all = await admin.describeAcls(anyFilter);
    expect(all.resources).toEqual([
      {
        resourceType: TOPIC,
        resourceName: "orders",
        resourcePatternType: LITERAL,
        acls: [
          { principal: "User:alice", host: "*", operation: READ, permissionType: ALLOW },
          { principal: "User:alice", host: "*", operation: WRITE, permissionType: ALLOW },
        ],
      },
      {
        resourceType: TOPIC,
        resourceName: "ord",
        resourcePatternType: PREFIXED,
        acls: [{ principal: "User:bob", host: "*", operation: READ, permissionType: ALLOW }],
      },
      {
        resourceType: TOPIC,
        resourceName: "*",
        resourcePatternType: LITERAL,
        acls: [{ principal: "User:carol", host: "*", operation: READ, permissionType: ALLOW }],
      },
      {
        resourceType: GROUP,
        resourceName: "billing",
        resourcePatternType: LITERAL,
        acls: [{ principal: "User:alice", host: "*", operation: READ, permissionType: ALLOW }],
      },
    ]);
    // MATCH: every pattern that applies to the topic "orders" (literal, prefix "ord", wildcard).
    const matching = await admin.describeAcls({
      ...anyFilter,
      resourceType: TOPIC,
      resourceName: "orders",
      resourcePatternType: MATCH,
    });
    expect(matching.resources.map((r) => r.resourceName)).toEqual(["orders", "ord", "*"]);
    // LITERAL: exactly that name and type.
    const literal = await admin.describeAcls({
      ...anyFilter,
      resourceType: TOPIC,
      resourceName: "orders",
      resourcePatternType: LITERAL,
    });
    expect(literal.resources.map((r) => r.resourceName)).toEqual(["orders"]);
    const byPrincipal = await admin.describeAcls({ ...anyFilter, principal: "User:bob" });
    expect(byPrincipal.resources.map((r) => r.resourceName)).toEqual(["ord"]);
    const writes = await admin.describeAcls({ ...anyFilter, operation: WRITE });
    expect(writes.resources.flatMap((r) => r.acls.map((a) => a.operation))).toEqual([WRITE]);

    const deleted = await admin.deleteAcls({
      filters: [
        { ...anyFilter, resourceType: TOPIC, resourceName: "orders", resourcePatternType: LITERAL },
        { ...anyFilter, resourceType: GROUP },
      ],
    });
    expect(deleted.filterResponses).toEqual([
      {
        errorCode: 0,
        matchingAcls: [
          { errorCode: 0, ...acl({}) },
          { errorCode: 0, ...acl({ operation: WRITE }) },
        ],
      },
      {
        errorCode: 0,
        matchingAcls: [{ errorCode: 0, ...acl({ resourceType: GROUP, resourceName: "billing" }) }],
      },
    ]);
    expect((await admin.describeAcls(anyFilter)).resources.map((r) => r.resourceName)).toEqual(["ord", "*"]);
    kafka.simulation.close();
  });

  it("validates as kafkajs does (client side) and as Kafka does (INVALID_REQUEST)", async () => {
    const kafka = quietKafka();
    const admin = kafka.admin();
    await expect(admin.createAcls({ acl: [] })).rejects.toThrow("Empty ACL array");
    await expect(admin.createAcls({ acl: [acl({ principal: 5 as never })] })).rejects.toThrow(
      "Invalid ACL array, the principals have to be a valid string",
    );
    await expect(admin.createAcls({ acl: [acl({ operation: 99 })] })).rejects.toThrow(
      /Invalid operation type 99/,
    );
    await expect(admin.describeAcls({ ...anyFilter, resourceType: 42 as never })).rejects.toThrow(
      "Invalid resource type 42",
    );
    await expect(admin.deleteAcls({ filters: [] })).rejects.toThrow("Empty ACL Filter array");
    // Broker-side: an ANY operation, an empty name, a CLUSTER not named kafka-cluster, a bad principal.
    for (const bad of [
      acl({ operation: ANY_OP }),
      acl({ resourceName: "" }),
      acl({ resourceType: CLUSTER, resourceName: "c", operation: DESCRIBE }),
      acl({ principal: "alice" }),
      acl({ resourceType: GROUP, operation: WRITE }),
      acl({ resourcePatternType: MATCH }),
    ]) {
      const error = (await admin.createAcls({ acl: [bad] }).catch((e: unknown) => e)) as KafkaJSProtocolError;
      expect(error.type).toBe("INVALID_REQUEST");
    }
    expect((await admin.describeAcls(anyFilter)).resources).toEqual([]); // nothing was created
    expect(
      await admin.createAcls({
        acl: [acl({ resourceType: CLUSTER, resourceName: "kafka-cluster", operation: DESCRIBE })],
      }),
    ).toBe(true);
    kafka.simulation.close();
  });

  it("filters match as Kafka's AclBindingFilter: ANY/MATCH laws hold for every binding", () => {
    const binding = fc.record({
      resourceType: fc.constantFrom(TOPIC, GROUP),
      resourceName: fc.constantFrom("a", "ab", "abc", "*", "b"),
      resourcePatternType: fc.constantFrom(LITERAL, PREFIXED),
      principal: fc.constantFrom("User:x", "User:y", "User:*"),
      host: fc.constantFrom("*", "127.0.0.1"),
      operation: fc.constantFrom(READ, WRITE, ALL),
      permissionType: fc.constantFrom(ALLOW, DENY),
    });
    fc.assert(
      fc.property(binding, fc.constantFrom("a", "ab", "abc", "b"), (b, name) => {
        // The all-ANY filter matches everything; an exact filter matches its own binding.
        expect(matchesFilter(b, anyFilter)).toBe(true);
        expect(matchesFilter(b, b)).toBe(true);
        // MATCH for a concrete resource is exactly "this binding applies to it".
        const applies =
          b.resourcePatternType === PREFIXED
            ? name.startsWith(b.resourceName)
            : b.resourceName === name || b.resourceName === "*";
        expect(
          matchesFilter(b, {
            ...anyFilter,
            resourceType: b.resourceType,
            resourceName: name,
            resourcePatternType: MATCH,
          }),
        ).toBe(applies);
      }),
    );
  });

  it("authorize: DENY beats ALLOW, READ implies DESCRIBE, super users and allowEveryoneIfNoAclFound", () => {
    const acls = new AclAuthorizer();
    expect(acls.authorize("User:x", "127.0.0.1", READ, TOPIC, "t")).toBe(true); // disabled
    acls.enable({ superUsers: ["User:root"] });
    expect(acls.authorize("User:x", "127.0.0.1", READ, TOPIC, "t")).toBe(false); // no ACL: refused
    expect(acls.authorize("User:root", "127.0.0.1", WRITE, TOPIC, "t")).toBe(true);
    acls.create([
      acl({ resourceName: "t", principal: "User:x" }),
      acl({ resourceName: "t", principal: "User:*", operation: ALL, permissionType: DENY, host: "10.0.0.1" }),
    ]);
    expect(acls.authorize("User:x", "127.0.0.1", READ, TOPIC, "t")).toBe(true);
    expect(acls.authorize("User:x", "127.0.0.1", DESCRIBE, TOPIC, "t")).toBe(true);
    expect(acls.authorize("User:x", "127.0.0.1", WRITE, TOPIC, "t")).toBe(false);
    expect(acls.authorize("User:x", "10.0.0.1", READ, TOPIC, "t")).toBe(false); // the DENY's host
    acls.enable({ allowEveryoneIfNoAclFound: true });
    expect(acls.authorize("User:x", "127.0.0.1", WRITE, TOPIC, "other")).toBe(true);
    expect(acls.authorize("User:y", "127.0.0.1", READ, TOPIC, "t")).toBe(false); // ACLs exist for t
  });
});

describe("kafkajs clients under ACLs (clusterAcls(cluster).enable())", () => {
  const world = (username: string | null) => {
    const w = manualWorld(1);
    const kafka = username === null ? w.kafka : quietKafkaOn(w, username);
    return { ...w, kafka };
  };
  const quietKafkaOn = (w: ReturnType<typeof manualWorld>, username: string) =>
    quietKafka({
      simulation: w.sim,
      cluster: w.cluster,
      sasl: { mechanism: "plain", username, password: "pw" },
    });

  it("a producer without WRITE gets TOPIC_AUTHORIZATION_FAILED and writes nothing; with it, the send succeeds", async () => {
    const { sim, cluster, kafka } = world("alice");
    cluster.createTopic("orders", { partitions: 1 });
    clusterAcls(cluster).enable();
    const producer = kafka.producer();
    await drive(sim, producer.connect());
    const error = (await drive(
      sim,
      producer.send({ topic: "orders", messages: [{ value: "x" }] }).catch((e: unknown) => e),
    )) as KafkaJSProtocolError;
    expect(error.type).toBe("TOPIC_AUTHORIZATION_FAILED");
    expect(error.code).toBe(29);
    expect(error.retriable).toBe(false);
    expect(cluster.partition("orders", 0).logEndOffset).toBe(0);
    await kafka.admin().createAcls({ acl: [acl({ principal: "User:alice", operation: WRITE })] });
    await drive(sim, producer.send({ topic: "orders", messages: [{ value: "x" }] }));
    expect(cluster.partition("orders", 0).logEndOffset).toBe(1);
    // An anonymous client (no SASL) is User:ANONYMOUS and has no ACL.
    const anonymous = world(null);
    anonymous.cluster.createTopic("orders", { partitions: 1 });
    clusterAcls(anonymous.cluster).enable();
    const p2 = anonymous.kafka.producer();
    await drive(anonymous.sim, p2.connect());
    const e2 = (await drive(
      anonymous.sim,
      p2.send({ topic: "orders", messages: [{ value: "x" }] }).catch((e: unknown) => e),
    )) as Error;
    expect(e2.message).toContain("User:ANONYMOUS");
  });

  it("a consumer without READ on its group crashes with GROUP_AUTHORIZATION_FAILED; without READ on the topic with TOPIC_AUTHORIZATION_FAILED", async () => {
    const { sim, cluster, kafka } = world("bob");
    cluster.createTopic("orders", { partitions: 1 });
    const acls = clusterAcls(cluster);
    acls.enable();
    const crashes: KafkaJSProtocolError[] = [];
    const consumer = kafka.consumer({ groupId: "billing" });
    consumer.on(consumer.events.CRASH, (e: { payload: { error: KafkaJSProtocolError } }) =>
      crashes.push(e.payload.error),
    );
    await consumer.subscribe({ topics: ["orders"], fromBeginning: true });
    await drive(
      sim,
      consumer.run({ eachMessage: async () => {} }).catch(() => {}),
    );
    await sim.runFor(1000);
    expect(crashes.map((e) => e.type)).toEqual(["GROUP_AUTHORIZATION_FAILED"]);
    expect(crashes[0]!.code).toBe(30);
    await drive(sim, consumer.disconnect());

    // READ on the group only: joining works, fetching the topic does not.
    acls.create([acl({ resourceType: GROUP, resourceName: "billing", principal: "User:bob" })]);
    const second = kafka.consumer({ groupId: "billing" });
    const crashes2: KafkaJSProtocolError[] = [];
    second.on(second.events.CRASH, (e: { payload: { error: KafkaJSProtocolError } }) =>
      crashes2.push(e.payload.error),
    );
    await second.subscribe({ topics: ["orders"], fromBeginning: true });
    await drive(
      sim,
      second.run({ eachMessage: async () => {} }).catch(() => {}),
    );
    await sim.runFor(5000);
    // The runner wraps the fetch's error (KafkaJSNonRetriableError, cause: the protocol error), as kafkajs' does.
    const cause = (e: KafkaJSProtocolError) => ((e as { cause?: KafkaJSProtocolError }).cause ?? e).type;
    expect(crashes2.map(cause)).toEqual(["TOPIC_AUTHORIZATION_FAILED"]);
    await drive(sim, second.disconnect());

    // READ on both (a PREFIXED topic ACL): messages arrive.
    acls.create([acl({ resourceName: "ord", resourcePatternType: PREFIXED, principal: "User:bob" })]);
    cluster.producer().send({ topic: "orders", value: "hello" });
    const third = kafka.consumer({ groupId: "billing" });
    const got: string[] = [];
    await third.subscribe({ topics: ["orders"], fromBeginning: true });
    await drive(
      sim,
      third.run({ eachMessage: async ({ message }) => void got.push(message.value!.toString()) }),
    );
    await sim.runFor(1000);
    expect(got).toEqual(["hello"]);
    await drive(sim, third.disconnect());
  });
});
