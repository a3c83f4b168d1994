import { it } from "vitest";
import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "../../../src/compat/kafkajs/index.js";
import { LogCluster } from "../../../src/log/cluster.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

it("dbg", async () => {
  const sim = new Simulation({ start: 0 });
  const cluster = new LogCluster(sim, { ...KAFKAJS_CLUSTER_DEFAULTS });
  const kafka = new Kafka({
    clientId: "retry",
    brokers: ["localhost:9092"],
    simulation: sim,
    cluster,
    logLevel: logLevel.DEBUG,
    logCreator: () => (e) =>
      console.log(e.log.timestamp, e.label, e.namespace, e.log.message, JSON.stringify(e.log).slice(0, 200)),
  });
  const producer = kafka.producer();
  await sim.until(producer.connect());
  await sim.until(producer.send({ topic: "jobs", messages: [{ value: "a" }, { value: "b" }] }));
  const consumer = kafka.consumer({ groupId: "workers" });
  await sim.until(consumer.connect());
  await sim.until(consumer.subscribe({ topic: "jobs", fromBeginning: true }));
  const calls: string[] = [];
  let thrown = false;
  sim.bus.tap((type, time) => {
    if (!type.startsWith("log.fetch")) console.log("bus", time, type);
  });
  void consumer.run({
    eachMessage: async ({ message }) => {
      calls.push(`${message.value} ${sim.now}`);
      if (!thrown && message.value!.toString() === "b") {
        thrown = true;
        throw new Error("transient");
      }
    },
  });
  await sim.runFor(60_000);
  console.log("after runFor", sim.now, calls, sim.describePending());
  await sim.runFor(60_000);
  console.log("after runFor2", sim.now, calls);
});
