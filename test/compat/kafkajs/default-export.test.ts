import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import kafkajsFacade, * as named from "../../../src/compat/kafkajs/index.js";

const realKafkajs = createRequire(import.meta.url)("kafkajs") as Record<string, unknown>;

describe("brokerlab/kafkajs' default export", () => {
  it("holds exactly kafkajs' module.exports names, in kafkajs' order, as the named exports", () => {
    expect(Object.keys(kafkajsFacade)).toEqual(Object.keys(realKafkajs));
    for (const [name, value] of Object.entries(kafkajsFacade)) {
      expect(value, name).toBe((named as Record<string, unknown>)[name]);
    }
    expect(Object.isFrozen(kafkajsFacade)).toBe(true);
  });

  it("works as `import kafkajs from 'kafkajs'` code uses it", async () => {
    const { Kafka, logLevel } = kafkajsFacade;
    const kafka = new Kafka({ brokers: ["localhost:9092"], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: "default-export" }] });
    expect(await admin.listTopics()).toContain("default-export");
    await admin.disconnect();
    named.resetDefaultSimulation();
  });
});
