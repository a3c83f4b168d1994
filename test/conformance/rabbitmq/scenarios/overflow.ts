import { type JsonObject, type Scenario, withSession } from "../harness.js";

const MODES = ["drop-head", "reject-publish", "reject-publish-dlx"] as const;

/**
 * Length limits: `x-max-length` 2 in each overflow mode, published through a confirm channel —
 * which publishes are acked or nacked, what stays, what is dead-lettered (`maxlen`); a publish
 * fanned out to a full reject-publish queue and a roomy one (nacked, yet the roomy one keeps it);
 * and `x-max-length-bytes` with drop-head.
 */
export const overflowModes: Scenario = {
  name: "overflow-modes",
  description: "x-max-length with drop-head / reject-publish / reject-publish-dlx on a confirm channel",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const dlx = await s.exchange("overflow.dlx", "direct", { durable: false });
      const results: JsonObject = {};
      for (const mode of MODES) {
        const dlq = await s.queue(`overflow.dlq.${mode}`, { durable: false });
        await s.bindQueue(dlq, dlx, mode);
        const queue = await s.queue(`overflow.q.${mode}`, {
          durable: false,
          maxLength: 2,
          overflow: mode,
          deadLetterExchange: dlx,
          deadLetterRoutingKey: mode,
        });
        const pub = await s.confirmChannel();
        for (let i = 1; i <= 5; i++) pub.sendToQueue(queue, `${mode}-${i}`);
        await pub.settled();
        const expectedDead = mode === "reject-publish" ? 0 : 3;
        await s.waitForReady(dlq, expectedDead, expectedDead === 0 ? 0 : undefined);
        results[mode] = {
          confirms: pub.confirms,
          kept: (await s.drain(queue)).map((m) => m.content),
          deadLettered: await s.drain(dlq),
        };
        await pub.close();
      }

      // One publish to a full reject-publish queue and a roomy queue at once.
      const fan = await s.exchange("overflow.fan", "fanout", { durable: false });
      const full = await s.queue("overflow.q.full", {
        durable: false,
        maxLength: 1,
        overflow: "reject-publish",
      });
      const roomy = await s.queue("overflow.q.roomy", { durable: false });
      await s.bindQueue(full, fan, "");
      await s.bindQueue(roomy, fan, "");
      const fanPub = await s.confirmChannel();
      fanPub.publish(fan, "", "fan-1");
      fanPub.publish(fan, "", "fan-2");
      await fanPub.settled();
      const mixedTargets = {
        confirms: fanPub.confirms,
        full: (await s.drain(full)).map((m) => m.content),
        roomy: (await s.drain(roomy)).map((m) => m.content),
      };

      // Byte limit: 10 body bytes, drop-head; 4-byte bodies.
      const bytes = await s.queue("overflow.q.bytes", {
        durable: false,
        arguments: { "x-max-length-bytes": 10 },
      });
      const bytesPub = await s.confirmChannel();
      for (const body of ["b001", "b002", "b003", "b004"]) bytesPub.sendToQueue(bytes, body);
      await bytesPub.settled();
      const maxLengthBytes = {
        confirms: bytesPub.confirms,
        kept: (await s.drain(bytes)).map((m) => m.content),
      };
      return { ...results, mixedTargets, maxLengthBytes };
    }),
};
