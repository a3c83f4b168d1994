import type { Channel } from "amqplib";
import type { AmqpConnection, JsonObject, Scenario } from "../harness.js";
import { withSession } from "../harness.js";
import { LIMITED_USER, NO_VHOST_USER } from "../users.js";

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Logins and permissions: wrong passwords, unknown users, users without the vhost, and — as
 * `brokerlab-limited` (see `users.ts`) — one operation per row of RabbitMQ's permission table on
 * a fresh channel, each reporting "ok" or the server's close text, so the check order (403
 * before 404, default-exchange rule between the write and read checks, reply-to before userId)
 * and RabbitMQ's texts are pinned down.
 */
export const permissions: Scenario = {
  name: "permissions",
  description: "authentication refusals and configure/write/read checks of a limited user",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      if (ctx.connectAs === undefined) throw new Error("this context cannot log in as other users");
      const connectAs = ctx.connectAs.bind(ctx);
      const refusal = async (login: Parameters<typeof connectAs>[0]) => {
        try {
          const connection = await connectAs(login);
          await connection.close();
          return "connected";
        } catch (error) {
          return (error as Error).message;
        }
      };
      const logins: JsonObject = {
        "guest with a wrong password": await refusal({ username: "guest", password: "nope" }),
        "an unknown user": await refusal({ username: "brokerlab-nobody", password: "x" }),
        "a user without permissions on /": await refusal(NO_VHOST_USER),
        "an unknown vhost": await refusal({ ...LIMITED_USER, vhost: "brokerlab-no-such-vhost" }),
        "the limited user": await refusal(LIMITED_USER),
      };

      const q = (kind: string) => s.name(`perm.${kind}.q`);
      const x = (kind: string) => s.name(`perm.${kind}.x`);
      for (const kind of ["own", "w", "r", "none"]) {
        await s.queue(`perm.${kind}.q`, { durable: false });
        await s.exchange(`perm.${kind}.x`, "direct", { durable: false });
      }
      for (const name of ["perm.own2.q", "perm.own.q.dlx2", "perm.none.anywhere.q", "perm.own.q.dlx1"]) {
        s.track("queue", s.name(name));
      }
      for (const name of ["perm.own2.x", "perm.own.x.ae1", "perm.own.x.ae2"])
        s.track("exchange", s.name(name));

      const limited: AmqpConnection = await connectAs(LIMITED_USER);
      const cases: JsonObject = {};
      const check = async (label: string, action: (ch: Channel) => Promise<unknown> | unknown) => {
        const ch = await limited.createChannel();
        let emitted: string | null = null;
        let closed = false;
        ch.on("error", (error: Error) => {
          emitted ??= error.message;
        });
        ch.on("close", () => {
          closed = true;
        });
        let rejected: string | null = null;
        try {
          await action(ch);
        } catch (error) {
          rejected = (error as Error).message;
        }
        // Publishes have no reply: give the server time to close the channel.
        for (let waited = 0; !closed && waited < 300; waited += 10) await ctx.sleep(10);
        const byServer = closed;
        if (!byServer) await ch.close();
        const text = byServer ? (emitted ?? rejected ?? "closed") : "ok";
        cases[label] = text.replace(/amq\.gen-[\w-]+/, "amq.gen-<generated>");
      };
      const publish = (exchange: string, options?: Record<string, unknown>) => (ch: Channel) => {
        ch.publish(exchange, "k", Buffer.from("m"), options);
      };

      await check("declare a new queue matching configure", (ch) =>
        ch.assertQueue(q("own2"), { durable: false }),
      );
      await check("redeclare a queue matching configure", (ch) =>
        ch.assertQueue(q("own"), { durable: false }),
      );
      await check("redeclare a queue not matching configure", (ch) =>
        ch.assertQueue(q("r"), { durable: false }),
      );
      await check("declare a queue matching anywhere in the name", (ch) =>
        ch.assertQueue(s.name("perm.none.anywhere.q"), { durable: false }),
      );
      await check("declare a server-named queue", (ch) => ch.assertQueue("", { exclusive: true }));
      await check("declare a queue named amq.*", (ch) =>
        ch.assertQueue("amq.brokerlab-perm", { durable: false }),
      );
      await check("passive declare without permissions", (ch) => ch.checkQueue(q("none")));
      await check("declare with a DLX not matching write", (ch) =>
        ch.assertQueue(s.name("perm.own.q.dlx1"), { durable: false, deadLetterExchange: x("none") }),
      );
      await check("declare with a DLX matching write", (ch) =>
        ch.assertQueue(s.name("perm.own.q.dlx2"), { durable: false, deadLetterExchange: x("w") }),
      );
      await check("delete a queue not matching configure", (ch) => ch.deleteQueue(q("none")));
      await check("delete a missing queue matching configure", (ch) => ch.deleteQueue(q("own.missing")));
      await check("purge without read", (ch) => ch.purgeQueue(q("w")));
      await check("purge with read", (ch) => ch.purgeQueue(q("r")));
      await check("purge a missing queue without read", (ch) => ch.purgeQueue(q("none.missing")));
      await check("get without read", (ch) => ch.get(q("w")));
      await check("get with read", (ch) => ch.get(q("r")));
      await check("get a missing queue with read", (ch) => ch.get(q("r.missing")));
      await check("consume without read", (ch) => ch.consume(q("w"), () => undefined));
      await check("consume with read", (ch) => ch.consume(q("r"), () => undefined));
      await check("consume direct reply-to", (ch) =>
        ch.consume("amq.rabbitmq.reply-to", () => undefined, { noAck: true }),
      );
      await check("publish without write", publish(x("none")));
      await check("publish to the default exchange", (ch) => {
        ch.sendToQueue(q("own"), Buffer.from("m"));
      });
      await check("publish to a missing exchange without write", publish(x("none.missing")));
      await check("publish to a missing exchange with write", publish(x("w.missing")));
      await check("publish with write", publish(x("w")));
      await check("publish with another userId", publish(x("w"), { userId: "guest" }));
      await check("publish without write and another userId", publish(x("none"), { userId: "guest" }));
      await check(
        "publish with reply-to, another userId and a bad expiration",
        publish(x("w"), {
          replyTo: "amq.rabbitmq.reply-to",
          userId: "guest",
          expiration: "soon",
        }),
      );
      await check(
        "publish with another userId and a bad expiration",
        publish(x("w"), { userId: "guest", expiration: "soon" }),
      );
      await check("bind: write on queue, read on exchange", (ch) => ch.bindQueue(q("own"), x("r"), "k"));
      await check("bind: no write on queue", (ch) => ch.bindQueue(q("r"), x("own"), "k"));
      await check("bind: no read on exchange", (ch) => ch.bindQueue(q("w"), x("none"), "k"));
      await check("bind to the default exchange with write on queue", (ch) => ch.bindQueue(q("w"), "", "k"));
      await check("bind to the default exchange without write on queue", (ch) =>
        ch.bindQueue(q("none"), "", "k"),
      );
      await check("bind a missing queue without read on exchange", (ch) =>
        ch.bindQueue(q("w.missing"), x("none"), "k"),
      );
      await check("bind a missing queue with read on exchange", (ch) =>
        ch.bindQueue(q("w.missing"), x("r"), "k"),
      );
      await check("unbind: no write on queue", (ch) => ch.unbindQueue(q("r"), x("own"), "k"));
      await check("unbind: write on queue, read on exchange", (ch) => ch.unbindQueue(q("own"), x("r"), "k"));
      await check("bind exchanges: write on destination, read on source", (ch) =>
        ch.bindExchange(x("w"), x("r"), "k"),
      );
      await check("bind exchanges: no write on destination", (ch) =>
        ch.bindExchange(x("none"), x("own"), "k"),
      );
      await check("bind exchanges: no read on source", (ch) => ch.bindExchange(x("w"), x("none"), "k"));
      await check("unbind exchanges", (ch) => ch.unbindExchange(x("w"), x("r"), "k"));
      await check("declare a new exchange matching configure", (ch) =>
        ch.assertExchange(x("own2"), "fanout", { durable: false }),
      );
      await check("redeclare an exchange with another type", (ch) =>
        ch.assertExchange(x("own"), "fanout", { durable: false }),
      );
      await check("declare an exchange not matching configure", (ch) =>
        ch.assertExchange(x("none2"), "fanout", { durable: false }),
      );
      await check("declare an exchange named amq.*", (ch) =>
        ch.assertExchange("amq.brokerlab-perm", "direct", { durable: false }),
      );
      await check("declare the default exchange", (ch) =>
        ch.assertExchange("", "direct", { durable: false }),
      );
      await check("declare an exchange with an AE not matching write", (ch) =>
        ch.assertExchange(s.name("perm.own.x.ae1"), "fanout", {
          durable: false,
          alternateExchange: x("none"),
        }),
      );
      await check("declare an exchange with an AE matching write", (ch) =>
        ch.assertExchange(s.name("perm.own.x.ae2"), "fanout", { durable: false, alternateExchange: x("w") }),
      );
      await check("check an exchange without permissions", (ch) => ch.checkExchange(x("none")));
      await check("delete an exchange not matching configure", (ch) => ch.deleteExchange(x("none")));
      await check("delete amq.direct", (ch) => ch.deleteExchange("amq.direct"));
      await check("delete the default exchange", (ch) => ch.deleteExchange(""));
      await check("delete an exchange matching configure", (ch) => ch.deleteExchange(x("own2")));
      await limited.close();
      // Real brokers: let the last closes settle before the session's cleanup.
      if (ctx.name("") !== "") await sleep(50);
      return { logins, cases };
    }),
};
