import type { ChannelModel } from "amqplib";
import { type JsonObject, type Scenario, withSession } from "../harness.js";

/** An RPC's rejection as amqplib 2.x produces it: an Error with code, classId, methodId. */
function rejection(error: unknown): JsonObject {
  const e = error as Error & { code?: unknown; classId?: unknown; methodId?: unknown };
  return {
    isError: error instanceof Error,
    // The reply text after the code is RabbitMQ's; keep the part amqplib words.
    message: typeof e.message === "string" ? e.message.replace(/ with message ".*$/, "") : null,
    code: typeof e.code === "number" ? e.code : null,
    classId: typeof e.classId === "number" ? e.classId : null,
    methodId: typeof e.methodId === "number" ? e.methodId : null,
  };
}

/**
 * What amqplib 2.x changed that a client observes: `get` of a missing queue rejects with a coded
 * Error (1.0.6), `updateSecret` emits `'update-secret-ok'` before resolving (1.0.7), `cancel`
 * resolves to `{ consumerTag }` (2.2.1), a null named option is sent as void and refused (1.0.0),
 * an oversized headers table is a `RangeError` from `publish` (2.3.1).
 */
export const amqplib2: Scenario = {
  name: "amqplib2",
  description:
    "amqplib 2.x: get's coded rejection, update-secret-ok, cancel's reply, null options, 64 KiB tables",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const out: JsonObject = {};
      const queue = await s.queue("amqplib2.q", { durable: false });

      const getter = await s.channel();
      out.getMissing = await getter.raw
        .get(s.name("amqplib2.missing"))
        .then(() => ({ resolved: true }), rejection);
      await getter.waitClosed(ctx);
      out.getMissingChannelError = getter.errors[0] ?? null;

      const connection = (await s.connect()) as unknown as ChannelModel;
      const order: string[] = [];
      connection.on("update-secret-ok", () => order.push("update-secret-ok"));
      await connection.updateSecret(Buffer.from("guest"), "conformance");
      order.push("resolved");
      out.updateSecret = order;

      const channel = await s.channel();
      const tag = s.name("amqplib2.ctag");
      await channel.raw.consume(queue, () => undefined, { consumerTag: tag });
      const reply = await channel.raw.cancel(tag);
      out.cancelReply = {
        consumerTag: reply?.consumerTag === tag ? "<the tag>" : String(reply?.consumerTag),
      };

      try {
        channel.raw.sendToQueue(queue, Buffer.from("x"), { headers: { blob: "x".repeat(70_000) } });
        out.hugeHeaders = { thrown: false };
      } catch (error) {
        out.hugeHeaders = { thrown: true, name: (error as Error).name, message: (error as Error).message };
      }
      out.afterHugeHeaders = { closed: channel.closed, ready: await s.readyCount(queue) };

      const nulls = await s.channel();
      out.nullMessageTtl = await nulls.raw
        .assertQueue(s.name("amqplib2.null-ttl"), { durable: false, messageTtl: null as never })
        .then(() => ({ resolved: true }), rejection);
      await nulls.waitClosed(ctx);
      s.track("queue", s.name("amqplib2.null-ttl"));
      return out;
    }),
};
