import {
  CONSUMER_TIMINGS,
  committedOffsets,
  JOIN_TIMEOUT_MS,
  type Json,
  RECEIVE_TIMEOUT_MS,
  type Scenario,
  waitUntil,
} from "../context.js";

/**
 * kafkajs' documented pause/resume pattern (https://kafka.js.org/docs/consuming#pause-resume):
 * `eachMessage` pauses the topic on a (simulated) 429 and throws, so the message is not resolved;
 * a timer resumes the topic and the message is delivered again. Then the `pause()` function
 * `eachMessage` gets pauses one partition, whose resume function is called later, while another
 * partition goes on. Observes every delivery attempt per partition, `paused()` while paused and
 * after, and the committed offsets.
 */
export const pauseResume: Scenario = {
  name: "pause-resume",
  description: "pause on 429 + throw redelivers after resume; pause() pauses one partition only",
  async run(ctx) {
    const topic = ctx.name("throttled");
    const groupId = ctx.name("group-pause");
    const admin = ctx.kafka().admin();
    const producer = ctx.kafka().producer();
    await admin.connect();
    await producer.connect();
    await producer.send({ topic, messages: [{ partition: 0, value: "warm-up" }] });

    const consumer = ctx.kafka().consumer({ groupId, ...CONSUMER_TIMINGS });
    const attempts: Record<string, string[]> = {};
    const pausedSnapshots: Json[] = [];
    let throttleA = true;
    let throttleC = true;
    let joined = 0;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined++;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: false });
    await consumer.run({
      eachMessage: async ({ topic: t, partition, message, pause }) => {
        const value = String(message.value);
        (attempts[String(partition)] ??= []).push(value);
        if (value === "a" && throttleA) {
          throttleA = false;
          consumer.pause([{ topic: t }]);
          pausedSnapshots.push(consumer.paused() as unknown as Json);
          void ctx.sleep(300).then(() => consumer.resume([{ topic: t }]));
          throw new Error("429 Too Many Requests");
        }
        if (value === "c" && throttleC) {
          throttleC = false;
          const resumeThisPartition = pause();
          pausedSnapshots.push(consumer.paused() as unknown as Json);
          void ctx.sleep(300).then(resumeThisPartition);
          throw new Error("429 Too Many Requests");
        }
      },
    });
    await waitUntil(ctx, () => joined > 0, "the consumer to join", JOIN_TIMEOUT_MS);
    await ctx.sleep(1000);

    await producer.send({
      topic,
      messages: [
        { partition: 0, value: "a" },
        { partition: 0, value: "b" },
      ],
    });
    await waitUntil(
      ctx,
      () => (attempts["0"] ?? []).includes("b"),
      "a redelivered, then b",
      RECEIVE_TIMEOUT_MS,
    );
    await producer.send({
      topic,
      messages: [
        { partition: 1, value: "c" },
        { partition: 1, value: "d" },
      ],
    });
    await waitUntil(
      ctx,
      () => (attempts["1"] ?? []).includes("d"),
      "c redelivered, then d",
      RECEIVE_TIMEOUT_MS,
    );
    await ctx.sleep(600);
    const pausedAfter = consumer.paused() as unknown as Json;
    await consumer.disconnect();
    const committed = await committedOffsets(admin, groupId, topic);
    await producer.disconnect();
    await admin.disconnect();
    return { attempts, pausedSnapshots, pausedAfter, committed };
  },
};
