// The README's four exchange examples: direct, fanout, topic and headers, each written for
// amqplib's promise API (it runs unchanged against a real RabbitMQ with `import amqp from
// "amqplib"`). Here `brokerlab/amqplib` runs it on the shared auto-driven simulation.
// Run with: npx tsx examples/amqplib-exchanges.ts
import amqp, { type Channel } from "brokerlab/amqplib";

/** Takes every ready message of `queue` (no acks needed) and returns their bodies. */
async function drain(channel: Channel, queue: string): Promise<string[]> {
  const bodies: string[] = [];
  for (
    let msg = await channel.get(queue, { noAck: true });
    msg;
    msg = await channel.get(queue, { noAck: true })
  )
    bodies.push(msg.content.toString());
  return bodies;
}

// --- direct: a message goes to every queue bound with exactly its routing key ---------------
async function direct(): Promise<void> {
  const connection = await amqp.connect("amqp://localhost");
  const channel = await connection.createChannel();
  await channel.assertExchange("logs", "direct", { durable: false });
  const bindings = { "only-errors": ["error"], everything: ["info", "warning", "error"] };
  for (const [queue, keys] of Object.entries(bindings)) {
    await channel.assertQueue(queue, { durable: false });
    for (const key of keys) await channel.bindQueue(queue, "logs", key);
  }
  for (const level of ["info", "error", "debug"]) {
    channel.publish("logs", level, Buffer.from(`${level} line`)); // "debug" matches nothing: dropped
  }
  console.log("direct  only-errors:", await drain(channel, "only-errors")); // [ 'error line' ]
  console.log("direct  everything: ", await drain(channel, "everything")); // [ 'info line', 'error line' ]
  await connection.close();
}

// --- fanout: every bound queue gets a copy; routing keys are ignored ------------------------
async function fanout(): Promise<void> {
  const connection = await amqp.connect("amqp://localhost");
  const channel = await connection.createChannel();
  await channel.assertExchange("news", "fanout", { durable: false });
  for (const queue of ["mobile-push", "email", "archive"]) {
    await channel.assertQueue(queue, { durable: false });
    await channel.bindQueue(queue, "news", "");
  }
  channel.publish("news", "any.key.at.all", Buffer.from("markets up"));
  channel.publish("news", "", Buffer.from("rain tomorrow"));
  for (const queue of ["mobile-push", "email", "archive"]) {
    console.log(`fanout  ${queue}:`, await drain(channel, queue)); // [ 'markets up', 'rain tomorrow' ]
  }
  await connection.close();
}

// --- topic: "*" matches exactly one word, "#" zero or more ---------------------------------
async function topic(): Promise<void> {
  const connection = await amqp.connect("amqp://localhost");
  const channel = await connection.createChannel();
  await channel.assertExchange("orders", "topic", { durable: false });
  const patterns = { "eu-orders": "eu.#", "all-created": "*.created", audit: "#" };
  for (const [queue, pattern] of Object.entries(patterns)) {
    await channel.assertQueue(queue, { durable: false });
    await channel.bindQueue(queue, "orders", pattern);
  }
  for (const key of ["eu.created", "us.created", "eu.shipped.express", "eu"]) {
    channel.publish("orders", key, Buffer.from(key));
  }
  console.log("topic   eu-orders:  ", await drain(channel, "eu-orders")); // eu.created, eu.shipped.express, eu
  console.log("topic   all-created:", await drain(channel, "all-created")); // eu.created, us.created
  console.log("topic   audit:      ", await drain(channel, "audit")); // all four
  await connection.close();
}

// --- headers: match on message headers, all of them ("all") or one of them ("any") ---------
async function headers(): Promise<void> {
  const connection = await amqp.connect("amqp://localhost");
  const channel = await connection.createChannel();
  await channel.assertExchange("docs", "headers", { durable: false });
  await channel.assertQueue("pdf-reports", { durable: false });
  await channel.bindQueue("pdf-reports", "docs", "", { "x-match": "all", format: "pdf", kind: "report" });
  await channel.assertQueue("pdf-or-urgent", { durable: false });
  await channel.bindQueue("pdf-or-urgent", "docs", "", { "x-match": "any", format: "pdf", urgent: true });
  const send = (name: string, headers: object) => channel.publish("docs", "", Buffer.from(name), { headers });
  send("q3-report.pdf", { format: "pdf", kind: "report" });
  send("invoice.pdf", { format: "pdf", kind: "invoice" });
  send("outage.txt", { format: "txt", urgent: true });
  send("notes.txt", { format: "txt" });
  console.log("headers pdf-reports:  ", await drain(channel, "pdf-reports")); // [ 'q3-report.pdf' ]
  console.log("headers pdf-or-urgent:", await drain(channel, "pdf-or-urgent")); // all but notes.txt
  await connection.close();
}

await direct();
await fanout();
await topic();
await headers();
