/**
 * Replays two matrices recorded from a real RabbitMQ (the conformance suite's golden files) through
 * the broker's native API: which topic binding keys match which routing keys, and which headers
 * bindings match which header sets. The files are read, never written.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { setup } from "./amqp-helpers.js";

function golden<T>(name: string): T {
  const url = new URL(`../conformance/rabbitmq/golden/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, "utf8")) as T;
}

describe("golden matrices recorded from RabbitMQ", () => {
  it("topic matrix: every binding key × routing key as RabbitMQ routed it, one copy for overlapping keys", () => {
    const recorded = golden<{
      bindingKeys: string[];
      matrix: Array<{ routingKey: string; matchedBindingKeys: string[] }>;
      overlap: { bindingKeys: string[]; receivedRoutingKeys: string[] };
      returned: Array<{ routingKey: string; replyCode: number }>;
    }>("topic-matrix");
    const { broker } = setup();
    broker.exchange("topic", "topic");
    recorded.bindingKeys.forEach((key, i) => {
      broker.queue(`q${i}`);
      broker.bind(`q${i}`, "topic", key);
    });
    broker.queue("overlap");
    for (const key of recorded.overlap.bindingKeys) broker.bind("overlap", "topic", key);
    const returned: string[] = [];
    for (const { routingKey, matchedBindingKeys } of recorded.matrix) {
      const outcome = broker.publish("topic", routingKey, routingKey, { mandatory: true });
      if (outcome.returned) returned.push(routingKey);
      const matched = outcome.queues
        .filter((q) => q !== "overlap")
        .map((q) => recorded.bindingKeys[Number(q.slice(1))]);
      expect(matched.sort(), `routing key ${JSON.stringify(routingKey)}`).toEqual(
        [...matchedBindingKeys].sort(),
      );
    }
    expect(
      broker
        .getQueue("overlap")!
        .messages()
        .map((m) => m.routingKey),
    ).toEqual(recorded.overlap.receivedRoutingKeys);
    expect(returned).toEqual(recorded.returned.map((r) => r.routingKey));
  });

  it("headers matrix: all four x-match modes, x- arguments, void, string vs number, int vs double", () => {
    const recorded = golden<{
      bindings: Record<string, Record<string, unknown>>;
      matrix: Array<{ headers: Record<string, unknown> | null; matchedBindings: string[] }>;
    }>("headers-exchange");
    const { broker } = setup();
    broker.exchange("headers", "headers");
    for (const [label, args] of Object.entries(recorded.bindings)) {
      broker.queue(label);
      broker.bind(label, "headers", "ignored-key", args);
    }
    recorded.matrix.forEach(({ headers, matchedBindings }, i) => {
      const outcome = broker.publish(
        "headers",
        "any-key",
        `h${i}`,
        headers === null ? undefined : { headers },
      );
      expect(outcome.queues.sort(), `message ${i}: ${JSON.stringify(headers)}`).toEqual(
        [...matchedBindings].sort(),
      );
    });
  });
});
