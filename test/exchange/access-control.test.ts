import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AccessControl,
  type AccessControlError,
  INITIAL_ACCESS_STATE,
} from "../../src/exchange/access-control.js";
import { AmqpError } from "../../src/exchange/amqp-error.js";
import { AmqpBroker } from "../../src/exchange/broker.js";
import type { AmqpChannel } from "../../src/exchange/channel.js";
import { Simulation } from "../../src/scheduler/simulation.js";

const USER = "limited";

/** Catches what `fn` throws (null if nothing). */
function refusal(fn: () => unknown): AmqpError | null {
  try {
    fn();
    return null;
  } catch (error) {
    if (error instanceof AmqpError) return error;
    throw error;
  }
}

/**
 * A broker with topology declared by the broker itself and a user `limited` whose permissions
 * are those of the conformance scenario: configure `^perm\.own|anywhere`, write
 * `^perm\.(own|w)`, read `^perm\.(own|r)`.
 */
function limitedSetup() {
  const sim = new Simulation({ start: 0, seed: 1 });
  const broker = new AmqpBroker(sim);
  for (const kind of ["own", "w", "r", "none"]) {
    broker.queue(`perm.${kind}.q`);
    broker.exchange(`perm.${kind}.x`, "direct");
  }
  broker.access.addUser(USER, "pw");
  broker.access.setPermissions(USER, "/", {
    configure: "^perm\\.own|anywhere",
    write: "^perm\\.(own|w)",
    read: "^perm\\.(own|r)",
  });
  const connection = broker.connect({ user: USER, password: "pw" });
  /** Runs `action` on a fresh channel; the reply text of a refusal, or "ok". */
  const attempt = (action: (ch: AmqpChannel) => unknown): string => {
    const channel = connection.channel();
    const error = refusal(() => action(channel));
    if (error === null) return "ok";
    expect(channel.closed).toBe(true);
    return error.replyText;
  };
  return { sim, broker, connection, attempt };
}

const denied = (kind: string, name: string) =>
  `ACCESS_REFUSED - access to ${kind} '${name}' in vhost '/' refused for user '${USER}'`;

describe("permissions per operation (RabbitMQ 3.10's table and check order)", () => {
  it("queue declare needs configure (passive needs nothing); a DLX also needs read on the queue and write on the exchange", () => {
    const { attempt } = limitedSetup();
    expect(attempt((ch) => ch.queue("perm.own.q2"))).toBe("ok");
    expect(attempt((ch) => ch.queue("perm.own.q"))).toBe("ok");
    expect(attempt((ch) => ch.queue("perm.r.q"))).toBe(denied("queue", "perm.r.q"));
    expect(attempt((ch) => ch.queue("perm.none.anywhere.q"))).toBe("ok"); // an unanchored search
    expect(attempt((ch) => ch.checkQueue("perm.none.q"))).toBe("ok");
    expect(attempt((ch) => ch.queue("amq.x"))).toBe(
      "ACCESS_REFUSED - queue name 'amq.x' contains reserved prefix 'amq.*'",
    );
    expect(attempt((ch) => ch.queue("perm.own.dlx1", { deadLetterExchange: "perm.none.x" }))).toBe(
      denied("exchange", "perm.none.x"),
    );
    expect(attempt((ch) => ch.queue("perm.own.dlx2", { deadLetterExchange: "perm.w.x" }))).toBe("ok");
    expect(attempt((ch) => ch.queue("anywhere.dlx3", { deadLetterExchange: "perm.w.x" }))).toBe(
      denied("queue", "anywhere.dlx3"),
    );
    expect(attempt((ch) => ch.queue("", { exclusive: true }))).toMatch(
      /^ACCESS_REFUSED - access to queue 'amq\.gen-[\w-]{22}' in vhost '\/' refused for user 'limited'$/,
    );
  });

  it("delete needs configure; purge, get and consume need read — checked before the lookup (403 beats 404)", () => {
    const { attempt, broker } = limitedSetup();
    expect(attempt((ch) => ch.deleteQueue("perm.none.q"))).toBe(denied("queue", "perm.none.q"));
    expect(broker.getQueue("perm.none.q")).toBeDefined();
    expect(attempt((ch) => ch.deleteQueue("perm.own.missing"))).toBe("ok");
    expect(attempt((ch) => ch.purge("perm.w.q"))).toBe(denied("queue", "perm.w.q"));
    expect(attempt((ch) => ch.purge("perm.r.q"))).toBe("ok");
    expect(attempt((ch) => ch.purge("perm.none.missing"))).toBe(denied("queue", "perm.none.missing"));
    expect(attempt((ch) => ch.get("perm.w.q"))).toBe(denied("queue", "perm.w.q"));
    expect(attempt((ch) => ch.get("perm.r.q"))).toBe("ok");
    expect(attempt((ch) => ch.get("perm.r.missing"))).toBe(
      "NOT_FOUND - no queue 'perm.r.missing' in vhost '/'",
    );
    expect(attempt((ch) => ch.consume("perm.w.q", () => undefined))).toBe(denied("queue", "perm.w.q"));
    expect(attempt((ch) => ch.consume("perm.r.q", () => undefined))).toBe("ok");
    expect(attempt((ch) => ch.consume("amq.rabbitmq.reply-to", () => undefined, { noAck: true }))).toBe("ok");
  });

  it("publish needs write on the exchange (the default one is 'amq.default'), before the 404 and userId checks", () => {
    const { attempt } = limitedSetup();
    expect(attempt((ch) => ch.publish("perm.none.x", "k", "a"))).toBe(denied("exchange", "perm.none.x"));
    expect(attempt((ch) => ch.sendToQueue("perm.own.q", "a"))).toBe(denied("exchange", "amq.default"));
    expect(attempt((ch) => ch.publish("perm.none.missing", "k", "a"))).toBe(
      denied("exchange", "perm.none.missing"),
    );
    expect(attempt((ch) => ch.publish("perm.w.missing", "k", "a"))).toBe(
      "NOT_FOUND - no exchange 'perm.w.missing' in vhost '/'",
    );
    expect(attempt((ch) => ch.publish("perm.w.x", "k", "a"))).toBe("ok");
    expect(attempt((ch) => ch.publish("perm.w.x", "k", "a", { userId: "guest" }))).toBe(
      "PRECONDITION_FAILED - user_id property set to 'guest' but authenticated user was 'limited'",
    );
    expect(attempt((ch) => ch.publish("perm.none.x", "k", "a", { userId: "guest" }))).toBe(
      denied("exchange", "perm.none.x"),
    );
  });

  it("bind needs write on the destination, then the default-exchange rule, then read on the source", () => {
    const { attempt, broker } = limitedSetup();
    expect(attempt((ch) => ch.bind("perm.own.q", "perm.r.x", "k"))).toBe("ok");
    expect(attempt((ch) => ch.bind("perm.r.q", "perm.own.x", "k"))).toBe(denied("queue", "perm.r.q"));
    expect(attempt((ch) => ch.bind("perm.w.q", "perm.none.x", "k"))).toBe(denied("exchange", "perm.none.x"));
    expect(attempt((ch) => ch.bind("perm.w.q", "", "k"))).toBe(
      "ACCESS_REFUSED - operation not permitted on the default exchange",
    );
    expect(attempt((ch) => ch.bind("perm.none.q", "", "k"))).toBe(denied("queue", "perm.none.q"));
    expect(attempt((ch) => ch.bind("perm.w.missing", "perm.none.x", "k"))).toBe(
      denied("exchange", "perm.none.x"),
    );
    expect(attempt((ch) => ch.unbind("perm.r.q", "perm.own.x", "k"))).toBe(denied("queue", "perm.r.q"));
    expect(attempt((ch) => ch.unbind("perm.own.q", "perm.r.x", "k"))).toBe("ok");
    expect(attempt((ch) => ch.bindExchange("perm.w.x", "perm.r.x", "k"))).toBe("ok");
    expect(attempt((ch) => ch.bindExchange("perm.none.x", "perm.own.x", "k"))).toBe(
      denied("exchange", "perm.none.x"),
    );
    expect(attempt((ch) => ch.bindExchange("perm.w.x", "perm.none.x", "k"))).toBe(
      denied("exchange", "perm.none.x"),
    );
    expect(broker.getExchange("perm.own.x")!.outbound.size).toBe(0);
  });

  it("exchange declare and delete need configure; an alternate exchange needs read on it and write on the AE", () => {
    const { attempt, broker } = limitedSetup();
    expect(attempt((ch) => ch.exchange("perm.own.x2", "fanout"))).toBe("ok");
    expect(attempt((ch) => ch.exchange("perm.none.x2", "fanout"))).toBe(denied("exchange", "perm.none.x2"));
    expect(attempt((ch) => ch.exchange("amq.foo", "direct"))).toBe(denied("exchange", "amq.foo"));
    expect(attempt((ch) => ch.exchange("perm.own.ae1", "fanout", { alternateExchange: "perm.none.x" }))).toBe(
      denied("exchange", "perm.none.x"),
    );
    expect(broker.getExchange("perm.own.ae1")).toBeUndefined();
    expect(attempt((ch) => ch.exchange("perm.own.ae2", "fanout", { alternateExchange: "perm.w.x" }))).toBe(
      "ok",
    );
    expect(attempt((ch) => ch.checkExchange("perm.none.x"))).toBe("ok");
    expect(attempt((ch) => ch.deleteExchange("perm.none.x"))).toBe(denied("exchange", "perm.none.x"));
    expect(attempt((ch) => ch.deleteExchange("amq.direct"))).toBe(
      "ACCESS_REFUSED - deletion of system exchange 'amq.direct' in vhost '/' not allowed",
    );
    expect(attempt((ch) => ch.deleteExchange("perm.own.x2"))).toBe("ok");
  });

  it("the broker's own API is not subject to permissions", () => {
    const { broker } = limitedSetup();
    expect(broker.publish("perm.none.x", "k", 1).messageId).toBeGreaterThan(0);
    broker.deleteQueue("perm.none.q");
  });

  it("permission changes apply to open connections at their next check", () => {
    const { attempt, broker } = limitedSetup();
    expect(attempt((ch) => ch.get("perm.none.q"))).toBe(denied("queue", "perm.none.q"));
    broker.access.setPermissions(USER, "/", { configure: "", write: "", read: "^perm\\.none\\.q$" });
    expect(attempt((ch) => ch.get("perm.none.q"))).toBe("ok");
  });

  it("deleting a user closes its connections with 320 CONNECTION_FORCED, as RabbitMQ 3.10 does", async () => {
    const { sim, broker, connection } = limitedSetup();
    const guest = broker.connect();
    const closes: Array<string | null> = [];
    connection.on("close", (error) => closes.push(error?.replyText ?? null));
    broker.access.deleteUser(USER);
    expect(connection.closed).toBe(true);
    expect(connection.closeError?.replyText).toBe("CONNECTION_FORCED - user 'limited' is deleted");
    expect(guest.closed).toBe(false);
    await sim.run();
    expect(closes).toEqual(["CONNECTION_FORCED - user 'limited' is deleted"]);
    expect(refusal(() => broker.connect({ user: USER, password: "pw" }))?.code).toBe("ACCESS_REFUSED");
  });

  it("on a guest-only node nothing is checked until a change makes a refusal possible", () => {
    const sim = new Simulation({ start: 0 });
    const broker = new AmqpBroker(sim);
    const channel = broker.connect().channel();
    channel.queue("q");
    broker.access.clearPermissions("guest", "/");
    expect(refusal(() => channel.publish("", "q", 1))?.replyText).toBe(
      "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'guest'",
    );
    broker.access.setPermissions("guest", "/", { configure: ".*", write: ".*", read: ".*" });
    const again = broker.connect().channel();
    again.publish("", "q", 1);
    expect(broker.getQueue("q")!.ready).toBe(1);
  });

  it("the impersonator tag lets a publish carry another userId", () => {
    const { broker, attempt } = limitedSetup();
    broker.access.setUserTags(USER, ["impersonator"]);
    expect(attempt((ch) => ch.publish("perm.w.x", "k", "a", { userId: "guest" }))).toBe("ok");
  });
});

describe("logins and virtual hosts", () => {
  it("a fresh broker has guest/guest with .* .* .* on /", () => {
    const broker = new AmqpBroker(new Simulation({ start: 0 }));
    expect(broker.access.listUsers()).toEqual([{ name: "guest", tags: ["administrator"] }]);
    expect(broker.access.listVhosts()).toEqual(["/"]);
    expect(broker.access.listPermissions("/")).toEqual([
      { user: "guest", configure: ".*", write: ".*", read: ".*" },
    ]);
    expect(broker.connect({ password: "guest" }).user).toBe("guest");
  });

  it("a wrong password or an unknown user is 403 with RabbitMQ's text; no connection is opened", () => {
    const broker = new AmqpBroker(new Simulation({ start: 0 }));
    for (const options of [{ password: "nope" }, { user: "nobody", password: "x" }, { user: "nobody" }]) {
      const error = refusal(() => broker.connect(options))!;
      expect(error.replyCode).toBe(403);
      expect(error.replyText).toBe(
        "ACCESS_REFUSED - Login was refused using authentication mechanism PLAIN. For details see the broker logfile.",
      );
    }
    expect(refusal(() => broker.connect({ password: "bad", mechanism: "AMQPLAIN" }))!.replyText).toMatch(
      /mechanism AMQPLAIN\./,
    );
    broker.access.clearPassword("guest");
    expect(refusal(() => broker.connect({ password: "guest" }))!.code).toBe("ACCESS_REFUSED");
    expect(broker.connections).toHaveLength(0);
  });

  it("a user without permissions in the broker's vhost is 530 NOT_ALLOWED; vhost brokers share one AccessControl", () => {
    const sim = new Simulation({ start: 0 });
    const access = new AccessControl();
    access.addVhost("staging");
    access.addUser("deploy", "pw");
    const staging = new AmqpBroker(sim, { vhost: "staging", access });
    const error = refusal(() => staging.connect({ user: "deploy", password: "pw" }))!;
    expect([error.replyCode, error.replyText]).toEqual([
      530,
      "NOT_ALLOWED - access to vhost 'staging' refused for user 'deploy'",
    ]);
    expect(refusal(() => staging.connect())!.replyText).toBe(
      "NOT_ALLOWED - access to vhost 'staging' refused for user 'guest'",
    );
    access.setPermissions("deploy", "staging", { configure: "^$", write: "^$", read: "^$" });
    const channel = staging.connect({ user: "deploy", password: "pw" }).channel();
    expect(refusal(() => channel.queue("q"))!.replyText).toBe(
      "ACCESS_REFUSED - access to queue 'q' in vhost 'staging' refused for user 'deploy'",
    );
    const unknown = new AmqpBroker(sim, { vhost: "nowhere", access });
    expect(refusal(() => unknown.connect())!.code).toBe("NOT_ALLOWED");
  });

  it("management commands validate fully and leave the state unchanged when refused", () => {
    const access = new AccessControl();
    const before = access.state;
    const code = (fn: () => void) => {
      try {
        fn();
      } catch (error) {
        return (error as AccessControlError).code;
      }
      return "ok";
    };
    expect(code(() => access.addUser("guest", "x"))).toBe("USER_EXISTS");
    expect(code(() => access.setPermissions("ghost", "/", { configure: "", write: "", read: "" }))).toBe(
      "NO_SUCH_USER",
    );
    expect(code(() => access.setPermissions("guest", "nope", { configure: "", write: "", read: "" }))).toBe(
      "NO_SUCH_VHOST",
    );
    expect(code(() => access.setPermissions("guest", "/", { configure: "(", write: "", read: "" }))).toBe(
      "INVALID_PERMISSION_REGEX",
    );
    expect(code(() => access.addVhost("/"))).toBe("VHOST_EXISTS");
    expect(code(() => access.deleteUser("ghost"))).toBe("NO_SUCH_USER");
    expect(code(() => access.addUser("", "x"))).toBe("INVALID_ARGUMENT");
    expect(code(() => access.addUser("u", "x", { tags: [3 as never] }))).toBe("INVALID_ARGUMENT");
    expect(access.state).toBe(before);
    access.addUser("u", "x");
    expect(before.users.has("u")).toBe(false); // the old state is a snapshot
    expect(INITIAL_ACCESS_STATE.users.size).toBe(1);
  });
});

const escapeRegex = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// Names the reserved-prefix rule (checked first) leaves alone.
const resourceName = fc.stringMatching(/^[a-z][a-z.\-_]{0,11}$/).filter((name) => !name.startsWith("amq."));

describe("permission expressions are searched for in the name, as Erlang's re:run does (property)", () => {
  it("an operation is allowed iff the expression matches somewhere; ^…$ makes it the whole name", () => {
    fc.assert(
      fc.property(resourceName, resourceName, fc.boolean(), (name, literal, anchored) => {
        const sim = new Simulation({ start: 0 });
        const broker = new AmqpBroker(sim);
        broker.access.addUser("u", "pw");
        const pattern = anchored ? `^${escapeRegex(literal)}$` : escapeRegex(literal);
        broker.access.setPermissions("u", "/", { configure: pattern, write: "", read: "" });
        const channel = broker.connect({ user: "u", password: "pw" }).channel();
        const error = refusal(() => channel.queue(name));
        const expected = anchored ? name === literal : name.includes(literal);
        expect(error === null).toBe(expected);
        // A refused declare leaves no queue behind; an allowed one made it.
        expect(broker.queues.has(name)).toBe(expected);
        if (error !== null)
          expect(error.replyText).toBe(
            `ACCESS_REFUSED - access to queue '${name}' in vhost '/' refused for user 'u'`,
          );
      }),
      { numRuns: 200 },
    );
  });

  it("an empty expression allows nothing, '.*' everything", () => {
    fc.assert(
      fc.property(resourceName, (name) => {
        const broker = new AmqpBroker(new Simulation({ start: 0 }));
        broker.access.addUser("u", "pw");
        broker.access.setPermissions("u", "/", { configure: "", write: ".*", read: ".*" });
        const channel = broker.connect({ user: "u", password: "pw" }).channel();
        expect(refusal(() => channel.exchange(name, "fanout"))?.code).toBe("ACCESS_REFUSED");
        broker.access.setPermissions("u", "/", { configure: ".*", write: "", read: "" });
        expect(refusal(() => broker.connect({ user: "u" }).channel().exchange(name, "fanout"))).toBeNull();
      }),
      { numRuns: 100 },
    );
  });
});
