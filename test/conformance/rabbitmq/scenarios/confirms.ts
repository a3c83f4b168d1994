import type { ConfirmChannel } from "amqplib";
import { type JsonObject, type Scenario, withSession } from "../harness.js";

interface Frame {
  deliveryTag: number;
  multiple: boolean;
}

/**
 * Replays `frames` as amqplib's `handleConfirm` does over publishes 1..`count`: how often each
 * sequence number was covered. Every publish must be covered exactly once.
 */
function coverage(
  frames: readonly Frame[],
  first: number,
  count: number,
): { once: boolean; multiple: boolean } {
  const covered = new Map<number, number>();
  let lwm = first;
  for (const frame of frames) {
    if (frame.multiple) {
      for (let seq = lwm; seq <= frame.deliveryTag; seq++) {
        // amqplib skips slots already settled by a single confirm.
        if (!covered.has(seq)) covered.set(seq, 1);
      }
      lwm = frame.deliveryTag + 1;
    } else {
      covered.set(frame.deliveryTag, (covered.get(frame.deliveryTag) ?? 0) + 1);
      if (frame.deliveryTag === lwm) while (covered.has(lwm)) lwm++;
    }
  }
  let once = covered.size === count;
  for (let seq = first; seq < first + count; seq++) if (covered.get(seq) !== 1) once = false;
  return { once, multiple: frames.some((f) => f.multiple) };
}

/**
 * Publisher confirms as RabbitMQ sends them, and close semantics as amqplib 2.3 gives them:
 *
 * - a burst of 640 publishes (amqplib's own "multiple confirms" test size) is confirmed with at
 *   least one `multiple` basic.ack, every sequence number exactly once, every callback once with
 *   null (how many frames is not deterministic, and not reported);
 * - a lone publish, waited for alone, gets a plain ack;
 * - a reject-publish queue of length 2: per-publish outcomes;
 * - publishes followed at once by `close()`: every callback fails with "channel closed", no ack
 *   is seen, `waitForConfirms` before and after the close rejects with "channel closed".
 */
export const confirmsMultipleAndClose: Scenario = {
  name: "confirms-multiple-close",
  description: "coalesced multiple acks cover every publish once; close() fails pending confirms",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const queue = await s.queue("confirms.q", { durable: false });
      const pub = await s.confirmChannel();
      const raw = pub.raw as ConfirmChannel;
      const frames: Frame[] = [];
      raw.on("ack", (f: Frame) => frames.push({ deliveryTag: f.deliveryTag, multiple: f.multiple }));

      raw.sendToQueue(queue, Buffer.from("lone"));
      await raw.waitForConfirms();
      const lone = frames.splice(0);

      const calls = new Array<number>(640).fill(0);
      const errors: string[] = [];
      for (let i = 0; i < 640; i++) {
        raw.sendToQueue(queue, Buffer.from(`m${i}`), {}, (err) => {
          calls[i]!++;
          if (err) errors.push(err.message);
        });
      }
      await raw.waitForConfirms();
      const burst = coverage(frames, 2, 640);
      const burstResult: JsonObject = {
        published: 640,
        everySeqConfirmedOnce: burst.once,
        someAckMultiple: burst.multiple,
        everyCallbackOnce: calls.every((n) => n === 1),
        errors,
      };

      const full = await s.queue("confirms.full", {
        durable: false,
        maxLength: 2,
        overflow: "reject-publish",
      });
      const overflowPub = await s.confirmChannel();
      for (let i = 1; i <= 4; i++) overflowPub.sendToQueue(full, `f${i}`);
      await overflowPub.settled();

      const closing = await s.confirmChannel();
      const closingRaw = closing.raw as ConfirmChannel;
      let acksSeen = 0;
      closingRaw.on("ack", () => acksSeen++);
      const outcomes: string[] = [];
      for (let i = 0; i < 5; i++) {
        closingRaw.sendToQueue(queue, Buffer.from(`c${i}`), {}, (err) =>
          outcomes.push(err ? err.message : "ok"),
        );
      }
      const before = closingRaw.waitForConfirms().then(
        () => "resolved",
        (e: Error) => e.message,
      );
      await closingRaw.close();
      const after = await closingRaw.waitForConfirms().then(
        () => "resolved",
        (e: Error) => e.message,
      );
      return {
        lone: lone as unknown as JsonObject[],
        burst: burstResult,
        overflow: { confirms: overflowPub.confirms },
        closeWithPending: {
          outcomes,
          acksSeen,
          waitForConfirmsBefore: await before,
          waitForConfirmsAfter: after,
        },
      };
    }),
};
