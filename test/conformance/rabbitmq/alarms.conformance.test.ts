/**
 * Resource alarms against the real RabbitMQ: `connection.blocked` / `connection.unblocked` under
 * a memory alarm. Not a regular scenario: raising an alarm on the real node needs `rabbitmqctl`
 * on the node's host (root, `scripts/rabbitmq.sh ctl`), and the alarm blocks every publishing
 * connection of the node for about a second. The simulated side raises it with
 * `broker.raiseAlarm("memory")`.
 *
 * - simulated vs the golden file: always;
 * - real vs the golden file: when `scripts/rabbitmq.sh ctl` reaches the node (it restores the
 *   watermark to RabbitMQ's default 0.4 in a `finally`);
 * - `BROKERLAB_RECORD_ALARMS=1` rewrites the golden file from the real run.
 *
 *   npx vitest run -c vitest.conformance.config.ts test/conformance/rabbitmq/alarms.conformance.test.ts
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import type { ChannelModel, ConsumeMessage } from "amqplib";
import { describe, expect, test } from "vitest";
import { brokerFor } from "../../../src/compat/amqplib/index.js";
import { goldenPath, readGolden } from "./golden.js";
import {
  type Observation,
  runScenario,
  type Scenario,
  type ScenarioContext,
  stableStringify,
  waitFor,
  withSession,
} from "./harness.js";
import { realContext } from "./real.js";
import { simulatedContext } from "./simulated.js";

const NAME = "connection-blocked-memory-alarm";
const SCRIPT = new URL("../../../scripts/rabbitmq.sh", import.meta.url).pathname;

/** Raises or clears the memory alarm of whichever broker the scenario runs against. */
interface AlarmControl {
  raise(): Promise<void>;
  clear(): Promise<void>;
}

function ctl(...args: string[]): string {
  return execFileSync(SCRIPT, ["ctl", ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function realAlarmAvailable(): boolean {
  try {
    return ctl("eval", "vm_memory_monitor:get_vm_memory_high_watermark().").trim().length > 0;
  } catch {
    return false;
  }
}

/** The real node: a watermark no node can stay under, then RabbitMQ's default 0.4 again. */
function realAlarm(ctx: ScenarioContext): AlarmControl {
  return {
    async raise() {
      ctl("set_vm_memory_high_watermark", "0.0000001");
      await waitFor(ctx, () => ctl("eval", "rabbit_alarm:get_alarms().").includes("memory"), 10_000);
    },
    async clear() {
      ctl("set_vm_memory_high_watermark", "0.4");
    },
  };
}

function scenario(alarm: (ctx: ScenarioContext) => AlarmControl): Scenario {
  return {
    name: NAME,
    description: "a memory alarm blocks the publishing connection; publishes are held and flow on unblocked",
    run: (ctx) =>
      withSession(ctx, async (s) => {
        const publisher = (await s.connect()) as unknown as ChannelModel;
        const consumer = (await s.connect()) as unknown as ChannelModel;
        const publisherEvents: string[] = [];
        const consumerEvents: string[] = [];
        publisher.on("blocked", (reason: string) => publisherEvents.push(`blocked:${reason}`));
        publisher.on("unblocked", () => publisherEvents.push("unblocked"));
        consumer.on("blocked", (reason: string) => consumerEvents.push(`blocked:${reason}`));
        consumer.on("unblocked", () => consumerEvents.push("unblocked"));
        const queue = await s.queue("alarm.q", { durable: false });
        const pub = await s.confirmChannel(publisher as never);
        const sub = await s.channel(consumer as never);
        const delivered: string[] = [];
        await sub.raw.consume(queue, (msg: ConsumeMessage | null) => {
          if (!msg) return;
          delivered.push(msg.content.toString());
          sub.raw.ack(msg);
        });
        const control = alarm(ctx);
        let during: Observation;
        try {
          await control.raise();
          for (const body of ["1", "2", "3"]) pub.sendToQueue(queue, body);
          const sawBlocked = await waitFor(ctx, () => publisherEvents.length > 0);
          await ctx.sleep(300);
          during = {
            sawBlocked,
            publisherEvents: [...publisherEvents],
            consumerEvents: [...consumerEvents],
            delivered: [...delivered],
            confirms: [...pub.confirms],
          };
        } finally {
          await control.clear();
        }
        await pub.settled();
        await waitFor(ctx, () => delivered.length >= 3 && publisherEvents.includes("unblocked"));
        return {
          during,
          after: {
            publisherEvents,
            consumerEvents,
            delivered,
            confirms: pub.confirms,
          },
        };
      }),
  };
}

describe("connection.blocked under a memory alarm", () => {
  const real = realAlarmAvailable();

  test.skipIf(!real)("the real broker reproduces the golden observation", async () => {
    const observed = await runScenario(
      scenario((ctx) => realAlarm(ctx)),
      realContext(),
    );
    if (process.env.BROKERLAB_RECORD_ALARMS === "1")
      writeFileSync(goldenPath(NAME), stableStringify(observed));
    expect(observed).toEqual(readGolden(NAME));
  });

  test("the simulator matches the golden observation", async () => {
    const ctx = simulatedContext();
    try {
      const broker = brokerFor(ctx.simulation);
      const observed = await runScenario(
        scenario(() => ({
          async raise() {
            broker.raiseAlarm("memory");
          },
          async clear() {
            broker.clearAlarm("memory");
          },
        })),
        ctx,
      );
      expect(observed).toEqual(readGolden(NAME));
    } finally {
      ctx.close();
    }
  });
});
