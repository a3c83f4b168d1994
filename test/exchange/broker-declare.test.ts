import { describe, expect, it } from "vitest";
import type { AmqpError } from "../../src/exchange/amqp-error.js";
import { parseQueueArguments, queueArgumentsFrom } from "../../src/exchange/arguments.js";
import { setup } from "./amqp-helpers.js";

const inequivalent = (argument: string) =>
  expect.objectContaining({
    code: "PRECONDITION_FAILED",
    details: expect.objectContaining({ replyCode: 406, reason: "inequivalent-arg", argument }),
  });

describe("exchange declarations", () => {
  it("an equivalent redeclaration returns the same exchange", () => {
    const { broker } = setup();
    const x = broker.exchange("x", "topic", { durable: true, alternateExchange: "ae" });
    expect(
      broker.exchange("x", "topic", { durable: true, alternateExchange: "ae", arguments: { other: 1 } }),
    ).toBe(x);
    expect([x.type, x.durable, x.autoDelete, x.internal, x.alternateExchange]).toEqual([
      "topic",
      true,
      false,
      false,
      "ae",
    ]);
  });

  it("a different type, flag or alternate-exchange is 406 naming it", () => {
    const { broker } = setup();
    broker.exchange("x", "direct", { alternateExchange: "ae" });
    expect(() => broker.exchange("x", "fanout", { alternateExchange: "ae" })).toThrow(inequivalent("type"));
    expect(() => broker.exchange("x", "direct", { durable: true, alternateExchange: "ae" })).toThrow(
      inequivalent("durable"),
    );
    expect(() => broker.exchange("x", "direct", { internal: true, alternateExchange: "ae" })).toThrow(
      inequivalent("internal"),
    );
    expect(() => broker.exchange("x", "direct", { autoDelete: true, alternateExchange: "ae" })).toThrow(
      inequivalent("auto_delete"),
    );
    expect(() => broker.exchange("x", "direct")).toThrow(inequivalent("alternate-exchange"));
    try {
      broker.exchange("x", "fanout");
    } catch (error) {
      expect((error as AmqpError).replyText).toBe(
        "PRECONDITION_FAILED - inequivalent arg 'type' for exchange 'x' in vhost '/': received 'fanout' but current is 'direct'",
      );
    }
  });

  it("an unknown type is 503 COMMAND_INVALID, which closes the connection", () => {
    const { connection, channel } = setup();
    expect(() => channel.exchange("x", "x-consistent-hash" as "direct")).toThrow(
      expect.objectContaining({
        code: "COMMAND_INVALID",
        details: expect.objectContaining({ replyCode: 503 }),
      }),
    );
    expect(connection.closed).toBe(true);
  });

  it("passive declaration and checkExchange: 404 when missing", () => {
    const { broker, connection } = setup();
    broker.exchange("x", "fanout");
    expect(broker.exchange("x", "direct", { passive: true }).type).toBe("fanout");
    expect(() => broker.exchange("nope", "direct", { passive: true })).toThrow(
      expect.objectContaining({ code: "NOT_FOUND" }),
    );
    const ch = connection.channel();
    expect(() => ch.checkExchange("nope")).toThrow(
      expect.objectContaining({ code: "NOT_FOUND", message: "NOT_FOUND - no exchange 'nope' in vhost '/'" }),
    );
    expect(ch.closed).toBe(true);
  });

  it("deleteExchange with ifUnused refuses a bound exchange", () => {
    const { broker } = setup();
    broker.exchange("x", "fanout");
    broker.queue("q");
    broker.bind("q", "x");
    expect(() => broker.deleteExchange("x", { ifUnused: true })).toThrow(
      expect.objectContaining({ code: "PRECONDITION_FAILED" }),
    );
    broker.deleteExchange("x");
    broker.deleteExchange("x"); // missing: fine
    expect(broker.getQueue("q")!.inbound.size).toBe(0);
  });
});

describe("queue declarations", () => {
  it("an equivalent redeclaration returns the queue; unknown arguments are neither checked nor compared", () => {
    const { broker } = setup();
    const q = broker.queue("q", { durable: true, messageTtl: 1000, arguments: { "x-custom": 1 } });
    expect(broker.queue("q", { durable: true, arguments: { "x-message-ttl": 1000 } })).toBe(q);
    expect(q.settings.messageTtl).toBe(1000);
  });

  it("different arguments or flags are 406 naming the inequivalent one", () => {
    const { broker } = setup();
    broker.queue("q", { messageTtl: 1000 });
    expect(() => broker.queue("q", { messageTtl: 2000 })).toThrow(inequivalent("x-message-ttl"));
    expect(() => broker.queue("q")).toThrow(inequivalent("x-message-ttl"));
    expect(() => broker.queue("q", { durable: true, messageTtl: 1000 })).toThrow(inequivalent("durable"));
    expect(() => broker.queue("q", { autoDelete: true, messageTtl: 1000 })).toThrow(
      inequivalent("auto_delete"),
    );
    try {
      broker.queue("q");
    } catch (error) {
      expect((error as AmqpError).replyText).toBe(
        "PRECONDITION_FAILED - inequivalent arg 'x-message-ttl' for queue 'q' in vhost '/': received none but current is the value '1000' of type 'short'",
      );
    }
  });

  it("invalid argument values are 406 with RabbitMQ's reasons", () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ "x-message-ttl": -1 }, "{value_negative,-1}"],
      [{ "x-message-ttl": 1.5 }, "{unacceptable_type,double}"],
      [{ "x-message-ttl": "100" }, "{unacceptable_type,longstr}"],
      [{ "x-expires": 0 }, "{value_zero,0}"],
      [{ "x-max-length": -2 }, "{value_negative,-2}"],
      [{ "x-overflow": "bogus" }, '{unacceptable_value,<<"bogus">>}'],
      [{ "x-queue-type": "lazy" }, '{unacceptable_value,<<"lazy">>}'],
      [{ "x-dead-letter-routing-key": "k" }, "missing_dependent_args"],
      [{ "x-single-active-consumer": "yes" }, "{unacceptable_type,longstr}"],
    ];
    for (const [args, reason] of cases) {
      const { broker } = setup();
      expect(() => broker.queue("bad", { arguments: args })).toThrow(
        expect.objectContaining({ code: "PRECONDITION_FAILED", message: expect.stringContaining(reason) }),
      );
      expect(broker.getQueue("bad")).toBeUndefined();
    }
  });

  it("priority queues and streams are refused as unsupported rather than silently ignored", () => {
    const { broker } = setup();
    expect(() => broker.queue("p", { arguments: { "x-max-priority": 10 } })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_ARGUMENT" }),
    );
    expect(() => broker.queue("s", { durable: true, arguments: { "x-queue-type": "stream" } })).toThrow(
      expect.objectContaining({ code: "UNSUPPORTED_ARGUMENT" }),
    );
  });

  it("named options override arguments, as amqplib does", () => {
    expect(
      queueArgumentsFrom({ messageTtl: 5, arguments: { "x-message-ttl": 9, "x-foo": undefined } }),
    ).toEqual({
      "x-message-ttl": 5,
    });
    expect(
      parseQueueArguments("q", { "x-overflow": "reject-publish-dlx", "x-queue-type": "quorum" }).overflow,
    ).toBe("drop-head");
  });

  it("passive declaration and checkQueue: 404 when missing, the queue otherwise", () => {
    const { broker, connection } = setup();
    broker.queue("q");
    broker.publish("", "q", 1);
    const ch = connection.channel();
    expect(ch.checkQueue("q").messageCount).toBe(1);
    expect(() => ch.checkQueue("missing")).toThrow(
      expect.objectContaining({ code: "NOT_FOUND", message: "NOT_FOUND - no queue 'missing' in vhost '/'" }),
    );
  });

  it("server-named queues: '' declares amq.gen-…; redeclaring amq.* by name is 403", () => {
    const { broker, channel } = setup();
    const q = channel.queue("");
    expect(q.name.startsWith("amq.gen-")).toBe(true);
    expect(broker.getQueue(q.name)).toBe(q);
    expect(() => channel.queue(q.name)).toThrow(expect.objectContaining({ code: "ACCESS_REFUSED" }));
  });
});
