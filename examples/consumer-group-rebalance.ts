// A consumer group through brokerlab's kafkajs facade, and the lag its rebalances cause. One
// consumer falls behind a steady stream; at 20 s a second one joins and, once the group has
// rebalanced, the two drain the backlog; at 50 s the second one hangs in a slow call, stops
// heartbeating, and for a whole session timeout its partitions are consumed by nobody — lag climbs
// — until the coordinator evicts it and the first consumer takes everything over (redelivering
// what the hung one had not committed). Prints the group's lag (log end − committed offset).
// Run with: npx tsx examples/consumer-group-rebalance.ts

import { LogCluster, Simulation } from "brokerlab";
import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "brokerlab/kafkajs";

/** Runs the scenario and returns the lag samples; `print` echoes them as a table. */
export async function rebalanceLag(print = false) {
  const sim = new Simulation({ seed: 7 }); // manual: this script moves the clock
  const elapsedMs = () => sim.now - sim.start;
  const cluster = new LogCluster(sim, KAFKAJS_CLUSTER_DEFAULTS);
  const kafka = new Kafka({
    clientId: "clicks-app",
    brokers: ["localhost:9092"],
    simulation: sim,
    cluster,
    logLevel: logLevel.NOTHING,
  });

  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: "clicks", numPartitions: 6 }] });

  // 200 clicks per second, in batches of 20 every 100 ms, keyed by user.
  const producer = kafka.producer();
  await producer.connect();
  let sent = 0;
  const stream = sim.every(100, () => {
    const messages = Array.from({ length: 20 }, () => ({
      key: `user-${sent % 97}`,
      value: `click-${sent++}`,
    }));
    return producer.send({ topic: "clicks", messages });
  });

  // Each click takes 8 ms to process: one consumer handles 125/s, less than the 200/s arriving.
  const events: string[] = [];
  const startConsumer = async (name: string, hangAt = Number.POSITIVE_INFINITY) => {
    const consumer = kafka.consumer({ groupId: "analytics", sessionTimeout: 10_000 });
    let hung = false;
    consumer.on(
      consumer.events.GROUP_JOIN,
      ({ payload }: { payload: { memberAssignment: Record<string, number[]> } }) =>
        events.push(
          `${(elapsedMs() / 1000).toFixed(1)}s ${name} joined: partitions ${payload.memberAssignment.clicks?.join(",")}`,
        ),
    );
    consumer.on(consumer.events.REBALANCING, () =>
      events.push(`${(elapsedMs() / 1000).toFixed(1)}s ${name} rebalancing`),
    );
    await consumer.connect();
    await consumer.subscribe({ topics: ["clicks"], fromBeginning: true });
    consumer.run({
      autoCommitInterval: 500,
      eachMessage: async () => {
        if (!hung && elapsedMs() >= hangAt) {
          hung = true;
          events.push(`${(elapsedMs() / 1000).toFixed(1)}s ${name} hangs for 30 s in a slow call`);
          await sim.sleep(30_000); // no heartbeats meanwhile: kafkajs heartbeats between messages
        } else await sim.sleep(8);
      },
    });
    return consumer;
  };

  const lag = async (): Promise<number> => {
    const [ends, committed] = await Promise.all([
      admin.fetchTopicOffsets("clicks"),
      admin.fetchOffsets({ groupId: "analytics", topics: ["clicks"] }),
    ]);
    let total = 0;
    for (const { partition, high } of ends) {
      const c = Number(committed[0]?.partitions.find((p) => p.partition === partition)?.offset ?? "-1");
      total += Number(high) - Math.max(c, 0);
    }
    return total;
  };

  const samples: { second: number; lag: number }[] = [];
  const a = await startConsumer("A");
  let b: Awaited<ReturnType<typeof startConsumer>> | null = null;
  for (let second = 2; second <= 100; second += 2) {
    await sim.runFor(2000);
    if (second === 20) b = await startConsumer("B", 50_000); // joins at 20 s, hangs at 50 s
    samples.push({ second, lag: await lag() });
  }
  stream.stop();
  if (print) {
    for (const e of events) console.log(e);
    console.log("\n  t (s)   lag (messages)");
    for (const { second, lag } of samples)
      console.log(
        `  ${String(second).padStart(5)}   ${String(lag).padStart(6)}  ${"#".repeat(Math.round(lag / 50))}`,
      );
    const at = (s: number) => samples.find((x) => x.second === s)?.lag;
    console.log(
      `\nlag when B joins (20 s): ${at(20)}; when B hangs (50 s): ${at(50)}; when B is evicted (60 s): ${at(60)}; at 100 s: ${at(100)}`,
    );
  }
  // Disconnecting waits for the message in hand: keep the clock moving until both have left.
  let stopped = false;
  Promise.all([a.disconnect(), b?.disconnect()]).then(() => {
    stopped = true;
  });
  while (!stopped) await sim.runFor(100);
  return { samples, events };
}

if (import.meta.url === `file://${process.argv[1]}`) await rebalanceLag(true);
