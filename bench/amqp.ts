/**
 * RabbitMQ-model benchmark: publish → route → deliver → ack messages per second, each workload
 * set against a plain array queue measured in the same run.
 *
 *   npx tsx bench/amqp.ts [--json]
 *
 * Each workload publishes on one channel in bursts (a producer simulation event publishes a burst
 * and re-schedules itself), routes through one exchange to one consuming queue, and a synchronous
 * consumer handler acks each delivery. Topic exchanges carry 1, 100 or 10 000 bindings, only one
 * of which matches (the others point at queues nobody consumes); half of them end in `*`, half in
 * `#`, so the trie walks wildcard edges. Setup is not timed; the broker is reused across runs.
 * Each row: the median and min–max of N runs (`--runs=N`, default 7), interleaved with the
 * reference run by run.
 * The reference is the same publish/consume/ack loop on a plain ring-buffer array queue (an
 * envelope, a tag and an unacked-map entry per message, no routing, no simulation).
 */
import { AmqpBroker } from "../src/exchange/broker.js";
import type { Delivery } from "../src/queue/delivery.js";
import { Simulation } from "../src/scheduler/simulation.js";
import { formatRate, formatSpread, interleaved, option, spread, table, wantsJson } from "./harness.js";

const BURST = 1000;
const BODY = new Uint8Array(64);

interface Workload {
  name: string;
  exchangeType: "direct" | "topic";
  bindings: number;
  messages: number;
  goal: number;
}

/**
 * Builds the broker for a workload (outside the timed part) and returns a function that runs
 * `messages` through it; the same broker serves every repeat, its queue empty between runs.
 */
function brokerRun(workload: Workload): () => Promise<number> {
  const sim = new Simulation({ seed: 1 });
  const broker = new AmqpBroker(sim);
  const { exchangeType, bindings, messages } = workload;
  broker.exchange("x", exchangeType);
  let routingKey: string;
  if (exchangeType === "direct") {
    broker.queue("target");
    broker.bind("target", "x", "orders.created");
    routingKey = "orders.created";
  } else {
    for (let i = 0; i < bindings; i++) {
      const queue = i === 0 ? "target" : `idle-${i}`;
      broker.queue(queue);
      broker.bind(queue, "x", i % 2 === 0 ? `app.svc${i}.*` : `*.svc${i}.#`);
    }
    routingKey = "app.svc0.created";
  }
  const connection = broker.connect();
  const consumer = connection.channel();
  let acked = 0;
  consumer.consume("target", (d: Delivery) => {
    consumer.ack(d);
    acked++;
  });
  const publisher = connection.channel();
  let remaining = 0;
  const produce = (): void => {
    const burst = Math.min(BURST, remaining);
    for (let i = 0; i < burst; i++) publisher.publish("x", routingKey, BODY);
    remaining -= burst;
    if (remaining > 0) sim.defer(produce);
  };
  return async () => {
    acked = 0;
    remaining = messages;
    sim.defer(produce);
    await sim.run();
    if (acked !== messages) throw new Error(`expected ${messages} acks, got ${acked}`);
    broker.checkInvariants();
    return messages;
  };
}

/**
 * The reference: the same loop on a plain ring-buffer array queue, with what any queue needs per
 * message and nothing else: an envelope object, a delivery tag, an unacked map entry, a handler
 * call and an ack.
 */
function referenceRun(messages: number): () => number {
  const size = 1 << 12;
  const ring: (ReferenceMessage | undefined)[] = new Array(size);
  const unacked = new Map<number, ReferenceMessage>();
  return () => {
    let head = 0;
    let count = 0;
    let tag = 0;
    let acked = 0;
    const handler = (deliveryTag: number) => {
      if (unacked.delete(deliveryTag)) acked++;
    };
    let remaining = messages;
    while (remaining > 0) {
      const burst = Math.min(BURST, remaining);
      for (let i = 0; i < burst; i++) {
        ring[(head + count) & (size - 1)] = { routingKey: "orders.created", body: BODY };
        count++;
      }
      remaining -= burst;
      while (count > 0) {
        const message = ring[head]!;
        ring[head] = undefined;
        head = (head + 1) & (size - 1);
        count--;
        unacked.set(++tag, message);
        handler(tag);
      }
    }
    if (acked !== messages) throw new Error("reference lost messages");
    return messages;
  };
}

interface ReferenceMessage {
  routingKey: string;
  body: Uint8Array;
}

interface Row {
  workload: string;
  brokerlab: number;
  /** The min–max spread of the runs, formatted. */
  spread: string;
  referenceRate: number;
  goal: number;
  met: boolean;
}

async function main(): Promise<void> {
  const runs = Number(option("runs") ?? 7);
  const workloads: Workload[] = [
    {
      name: "direct exchange, 1 binding",
      exchangeType: "direct",
      bindings: 1,
      messages: 1_000_000,
      goal: 2_000_000,
    },
    {
      name: "topic exchange, 1 binding",
      exchangeType: "topic",
      bindings: 1,
      messages: 500_000,
      goal: 1_000_000,
    },
    {
      name: "topic exchange, 100 bindings",
      exchangeType: "topic",
      bindings: 100,
      messages: 500_000,
      goal: 1_000_000,
    },
    {
      name: "topic exchange, 10k bindings",
      exchangeType: "topic",
      bindings: 10_000,
      messages: 500_000,
      goal: 1_000_000,
    },
  ];
  const rows: Row[] = [];
  for (const workload of workloads) {
    const [oursRates, referenceRates] = await interleaved(runs, [
      brokerRun(workload),
      referenceRun(workload.messages),
    ]);
    const ours = spread(oursRates!).median;
    const reference = spread(referenceRates!).median;
    rows.push({
      workload: workload.name,
      brokerlab: ours,
      spread: formatSpread(spread(oursRates!)),
      referenceRate: reference,
      goal: workload.goal,
      met: ours >= workload.goal,
    });
  }
  if (wantsJson) {
    console.log(JSON.stringify({ benchmark: "amqp", node: process.version, rows }, null, 2));
    return;
  }
  console.log(
    `publish → route → deliver → ack, msgs/s (node ${process.version}, median and min–max of ${runs} interleaved runs)\n`,
  );
  console.log(
    table(
      ["workload", "brokerlab", "spread", "plain array queue", "ratio", "goal", "met"],
      rows.map((row) => [
        row.workload,
        formatRate(row.brokerlab),
        row.spread,
        formatRate(row.referenceRate),
        `${(row.brokerlab / row.referenceRate).toFixed(3)}×`,
        `≥ ${formatRate(row.goal)}`,
        row.met ? "yes" : "NO",
      ]),
    ),
  );
}

await main();
