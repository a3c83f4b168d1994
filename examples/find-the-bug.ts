// The README's opening example: does this kafkajs consumer charge each payment exactly once?
// Run with: npx tsx examples/find-the-bug.ts

import { explore } from "brokerlab";
import { Kafka, logLevel } from "brokerlab/kafkajs";

const result = await explore(
  async ({ sim, history, faults }) => {
    const kafka = new Kafka({
      clientId: "billing",
      brokers: ["kafka:9092"],
      simulation: sim,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: "payments",
      messages: [1, 2, 3].map((n) => ({ value: `${n}0 EUR`, headers: { id: `pay-${n}` } })),
    });
    faults.spawn("billing", async (p) => {
      const consumer = p.own(kafka.consumer({ groupId: "billing" }));
      await consumer.subscribe({ topic: "payments", fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          history.effect("billing", "charge", String(message.headers.id)); // charge the card
          await p.point("after-charge"); // the process may die here, before kafkajs commits
        },
      });
    });
    await sim.sleep(60_000);
  },
  { expect: "exactly-once", faults: { processes: { billing: ["after-charge"] } } },
);

console.log(result.ok ? `no bug in ${result.runs} runs` : result.failure.report);
