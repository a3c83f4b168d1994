/**
 * Development check against a real RabbitMQ (start one with `scripts/rabbitmq.sh start`): runs the
 * same error-handling program through real amqplib and through `brokerlab/amqplib`, and diffs
 * what each observes: event order (`'error'`, `'close'`, rejections), error texts, numeric codes,
 * class and method ids, `get`'s close-frame rejection, "Channel closed" / "Channel ended" texts,
 * hard connection errors, consumer exceptions (541), confirm callbacks, client closes, and a
 * channel error nobody listens to taking its connection down. Exits non-zero on a difference.
 *
 *   npx tsx test/compat/amqplib/error-parity.ts
 */
import { isDeepStrictEqual } from "node:util";
import amqplib from "amqplib";
import facade from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import { realBrokerUrl } from "../../conformance/rabbitmq/real.js";

type Json = unknown;
// Both libraries are driven through the same loosely typed surface.
// biome-ignore lint/suspicious/noExplicitAny: amqplib's and the facade's types differ in detail.
type Loose = any;

const PREFIX = "brokerlab-parity-";

/** An error as plain data: amqplib's errors carry numeric code, classId and methodId. */
function describe(error: unknown): Json {
  if (error instanceof Error) {
    const e = error as Error & { code?: unknown; classId?: unknown; methodId?: unknown };
    return { name: e.name, message: e.message, code: e.code, classId: e.classId, methodId: e.methodId };
  }
  return JSON.parse(JSON.stringify(error ?? null)) as Json;
}

async function observe(
  connect: () => Promise<Loose>,
  sleep: (ms: number) => Promise<void>,
): Promise<Array<[string, ...Json[]]>> {
  const out: Array<[string, ...Json[]]> = [];
  const conn = await connect();
  conn.on("error", (e: unknown) => out.push(["unexpected connection error", describe(e)]));
  const admin = await conn.createChannel();
  for (const q of ["c541", "full", "held"]) await admin.deleteQueue(PREFIX + q);

  {
    const ch = await conn.createChannel();
    const log: Json[] = [];
    ch.on("error", (e: unknown) => log.push(["error", describe(e)]));
    ch.on("close", (...args: unknown[]) => log.push(["close", args.length]));
    await ch.checkQueue(`${PREFIX}missing`).catch((e: unknown) => log.push(["rejected", describe(e)]));
    out.push(["checkQueue on a missing queue", log]);
    out.push(["a later RPC", await ch.checkQueue("x").catch(describe)]);
    try {
      ch.publish("", "x", Buffer.from("x"));
    } catch (e) {
      out.push(["a later publish", describe(e)]);
    }
  }
  {
    const ch = await conn.createChannel();
    ch.on("error", () => undefined);
    const frame = await ch.get(`${PREFIX}missing`).catch((e: unknown) => e);
    out.push(["get on a missing queue", { ...(describe(frame) as object), channel: typeof frame.channel }]);
  }
  {
    const ch = await conn.createChannel();
    const log: Json[] = [];
    ch.on("error", (e: Error) => log.push(["error", e.message]));
    ch.on("close", () => log.push(["close"]));
    log.push(["publish returns", ch.publish(`${PREFIX}nope`, "k", Buffer.from("x"))]);
    const first = ch
      .assertQueue(`${PREFIX}a`, { durable: false })
      .catch((e: Error) => log.push(["rpc 1", e.message]));
    const second = ch
      .assertQueue(`${PREFIX}b`, { durable: false })
      .catch((e: Error) => log.push(["rpc 2", e.message]));
    await Promise.all([first, second]);
    out.push(["publish to a missing exchange, then two RPCs", log]);
  }
  {
    const other = await connect();
    const log: Json[] = [];
    other.on("error", (e: unknown) => log.push(["connection error", describe(e)]));
    other.on("close", (e?: Error) => log.push(["connection close", e?.message]));
    const ch = await other.createChannel();
    ch.on("error", (e: Error) => log.push(["channel error", e.message]));
    ch.on("close", () => log.push(["channel close"]));
    await ch
      .assertExchange(`${PREFIX}x`, "x-bogus-type")
      .catch((e: Error) => log.push(["rejected", e.message]));
    await sleep(50);
    out.push(["an unknown exchange type (hard error)", log]);
    out.push(["createChannel afterwards", await other.createChannel().then(() => "ok", describe)]);
  }
  {
    const ch = await conn.createChannel();
    const log: Json[] = [];
    ch.on("error", (e: unknown) => log.push(["error", describe(e)]));
    ch.on("close", () => log.push(["close"]));
    await ch.assertQueue(`${PREFIX}c541`, { durable: false });
    await ch.consume(`${PREFIX}c541`, () => {
      throw new Error("boom");
    });
    admin.sendToQueue(`${PREFIX}c541`, Buffer.from("x"));
    for (let i = 0; i < 100 && log.length < 2; i++) await sleep(10);
    out.push(["a consumer callback throws", log, (await admin.checkQueue(`${PREFIX}c541`)).messageCount]);
  }
  {
    const ch = await conn.createConfirmChannel();
    const log: Json[] = [];
    ch.on("error", () => undefined);
    await ch.assertQueue(`${PREFIX}full`, { durable: false, maxLength: 1, overflow: "reject-publish" });
    ch.sendToQueue(`${PREFIX}full`, Buffer.from("1"), {}, (...args: unknown[]) =>
      log.push(["callback 1", (args[0] as Error | null)?.message ?? null, args.length]),
    );
    ch.sendToQueue(`${PREFIX}full`, Buffer.from("2"), {}, (e: Error | null) =>
      log.push(["callback 2", e?.message ?? null]),
    );
    const settle = (p: Promise<unknown>) =>
      p.then(
        (v) => ["resolved", v],
        (e: Error) => ["rejected", e.message],
      );
    log.push(["waitForConfirms", await settle(ch.waitForConfirms())]);
    log.push(["waitForConfirms again", await settle(ch.waitForConfirms())]);
    out.push(["confirms with a nack", log]);
  }
  {
    const ch = await conn.createChannel();
    const log: Json[] = [];
    ch.on("close", (...args: unknown[]) => log.push(["close", args.length]));
    log.push(["close() resolves to", await ch.close()]);
    log.push(["close() again", await ch.close().catch(describe)]);
    out.push(["client close", log]);
  }
  {
    const log: Json[] = [];
    conn.removeAllListeners("error");
    conn.on("error", (e: Error) => log.push(["connection error", e.message]));
    conn.on("close", (e?: Error) => log.push(["connection close", e?.message]));
    const quiet = await conn.createChannel();
    quiet.on("close", () => log.push(["quiet channel close"]));
    admin.on("close", () => log.push(["admin channel close"]));
    quiet.publish(`${PREFIX}nope`, "k", Buffer.from("x"));
    await sleep(100);
    out.push(["a channel error nobody listens to", log]);
  }
  return out;
}

async function main(): Promise<void> {
  const url = realBrokerUrl();
  const real = await observe(
    () => amqplib.connect(url),
    (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
  const sim = new Simulation({ start: 0, seed: 1, drive: "auto" });
  const simulated = await observe(
    () => facade.connect("amqp://localhost", { simulation: sim }),
    (ms) => sim.sleep(ms),
  );
  sim.close();
  let differences = 0;
  for (let i = 0; i < Math.max(real.length, simulated.length); i++) {
    const same = isDeepStrictEqual(real[i], simulated[i]);
    if (!same) differences++;
    console.log(`${same ? "same" : "DIFF"}  ${String(real[i]?.[0] ?? simulated[i]?.[0])}`);
    if (!same)
      console.log(`  real:      ${JSON.stringify(real[i])}\n  simulated: ${JSON.stringify(simulated[i])}`);
  }
  console.log(differences === 0 ? "no differences" : `${differences} difference(s)`);
  if (differences > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
