import type { Channel } from "amqplib";
import { type JsonObject, type Scenario, withSession } from "../harness.js";

/**
 * Publishes in a synchronous loop until `publish` first returns false (at most `limit`), then
 * waits for the channel's 'drain'. Returns the 1-based index of the first false (0: never) and
 * whether 'drain' came.
 */
async function firstFalse(channel: Channel, queue: string, body: Buffer, limit: number) {
  let index = 0;
  for (let i = 1; i <= limit; i++) {
    if (!channel.sendToQueue(queue, body)) {
      index = i;
      break;
    }
  }
  const drained =
    index === 0 ? false : await new Promise<boolean>((resolve) => channel.once("drain", () => resolve(true)));
  return { index, drained };
}

/**
 * amqplib's backpressure signal as a real client on a real socket gives it: `publish` /
 * `sendToQueue` return false once the channel's write buffer (an object-mode stream of
 * `highWaterMark` chunks, 1024 by default) is full, and 'drain' follows once it empties. In a
 * synchronous loop nothing is written out meanwhile, so where the first false falls is
 * deterministic: it depends on the chunk count (a body larger than the frame size is two chunks),
 * not on the network. Reported: the first false for the default buffer, for `highWaterMark: 4`
 * and for 5000-byte bodies; that 'drain' follows each; every message arrives.
 */
export const flowControl: Scenario = {
  name: "flow-control",
  description: "publish returns false when the write buffer fills; 'drain' follows; nothing is lost",
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const queue = await s.queue("flow.q", { durable: false });
      const connection = await s.connect();
      const results: JsonObject = {};
      const cases: Array<[string, number | undefined, Buffer]> = [
        ["default buffer, 1-byte bodies", undefined, Buffer.from("x")],
        ["highWaterMark 4, 1-byte bodies", 4, Buffer.from("x")],
        ["default buffer, 5000-byte bodies", undefined, Buffer.alloc(5000, 97)],
      ];
      let published = 0;
      for (const [label, highWaterMark, body] of cases) {
        const channel =
          highWaterMark === undefined
            ? await connection.createChannel()
            : await connection.createChannel({ highWaterMark } as never);
        const outcome = await firstFalse(channel, queue, body, 3000);
        published += outcome.index;
        results[label] = { firstFalseAt: outcome.index, drainFollowed: outcome.drained };
        await channel.close();
      }
      results.allArrived = (await s.waitForReady(queue, published)) === published;
      return results;
    }),
};
