// The demo's video pipeline (brokerlab demo, section "Tasks") on Celery-style tasks, in virtual time:
//   upload endpoint → process_video → chain(encode 720p → encode 1080p → thumbnails → upload to CDN → notify user)
// The encoder fails at random and is retried with exponential backoff and full jitter; one
// corrupt video exhausts its retries and lands in the dead-letter queue; then a worker crashes
// mid-encode, once with early acks (the task is lost) and once with acksLate +
// rejectOnWorkerLost (it runs again).
// `npm start` shows it; examples/video-pipeline.ts is the same scenario as a standalone script.
import { Simulation } from "../scheduler/simulation.js";
import { chain, tasks } from "../tasks/index.js";

class EncoderError extends Error {
  override name = "EncoderError";
}

/** Builds the app and its tasks; `acksLate` decides what a worker crash does to an encode. */
function pipeline(sim: Simulation, print: (line: string) => void, acksLate: boolean) {
  const app = tasks(sim, { deadLetterQueue: "video.dlq", log: print });
  const encoderFaults = sim.random.fork("encoder");
  const retrying = {
    autoretryFor: [EncoderError],
    retryBackoff: true,
    maxRetries: 3,
    acksLate,
    rejectOnWorkerLost: acksLate,
  };
  const encode = (resolution: string, ms: number) =>
    app.task(
      `encode_${resolution}`,
      async (ctx, video: string) => {
        await ctx.sleep(ms);
        if (video.includes("corrupt")) throw new EncoderError(`${video}: moov atom not found`);
        if (encoderFaults.bernoulli(0.3))
          throw new EncoderError(`${video}: encoder crashed at ${resolution}`);
        return video;
      },
      retrying,
    );
  const encode720 = encode("720p", 4_000);
  const encode1080 = encode("1080p", 9_000);
  const thumbnails = app.task("thumbnails", async (ctx, video: string) => {
    await ctx.sleep(1_500);
    return video;
  });
  const uploadCdn = app.task("upload_to_cdn", async (ctx, video: string) => {
    await ctx.sleep(2_000);
    return `https://cdn.example.com/${video}/index.m3u8`;
  });
  const notify = app.task("notify_user", async (ctx, url: string, user: string) => {
    await ctx.sleep(50);
    return `mailed ${user}: ${url}`;
  });
  const processVideo = app.task("process_video", (_ctx, video: string, user: string) => {
    const result = chain(
      encode720.s(video),
      encode1080.s(),
      thumbnails.s(),
      uploadCdn.s(),
      notify.s(user),
    ).delay();
    return result.id;
  });
  return { app, processVideo, encode720 };
}

/** Part 1: three uploads, a flaky encoder, one corrupt file. */
async function uploads(seed: number, print: (line: string) => void) {
  const sim = new Simulation({ seed, start: Date.UTC(2025, 0, 1, 9, 0) });
  const { app, processVideo } = pipeline(sim, print, true);
  app.worker({ name: "encoder-1", concurrency: 2 });
  const uploadsAt: Array<[number, string, string]> = [
    [0, "holiday.mp4", "ana"],
    [1_000, "corrupt.mp4", "ben"],
    [2_500, "talk.mp4", "chloe"],
  ];
  const requests = uploadsAt.map(([atMs, video, user]) => {
    const holder: { id: string | null } = { id: null };
    sim.at(sim.now + atMs, () => {
      print(`--- POST /upload ${video} (user ${user})`);
      holder.id = processVideo.delay(video, user).id;
    });
    return { video, holder };
  });
  await sim.run();
  print("");
  for (const { video, holder } of requests) {
    const chainId = app.result(holder.id!).result as string;
    const last = app.result(chainId);
    const state = last.state === "PENDING" ? "FAILED (chain stopped)" : last.state;
    print(`${video.padEnd(12)} ${state}${last.state === "SUCCESS" ? `: ${String(last.result)}` : ""}`);
  }
  print(
    `dead-letter queue video.dlq: ${
      app
        .deadLetters()
        .map((d) => `${d.task}[${d.id}] ${d.error}`)
        .join("; ") || "empty"
    }`,
  );
  return app.deadLetters();
}

/** Part 2: the worker dies 2 s into a 4 s encode and comes back 3 s later. */
async function crash(seed: number, acksLate: boolean, print: (line: string) => void) {
  const sim = new Simulation({ seed, start: Date.UTC(2025, 0, 1, 12, 0) });
  const { app, encode720 } = pipeline(sim, print, acksLate);
  const worker = app.worker({ name: "encoder-1" });
  const result = encode720.applyAsync(["interview.mp4"], { taskId: acksLate ? "late-ack-1" : "early-ack-1" });
  sim.at(sim.now + 2_000, () => worker.crash());
  sim.at(sim.now + 5_000, () => worker.restart());
  await sim.run();
  print(`=> encode_720p[${result.id}] ${result.state} (acksLate ${acksLate})`);
  return result.state;
}

/** Runs the video-pipeline demo, printing a Celery-style worker log in virtual time. */
export async function runTasksDemo(seed: number, print: (line: string) => void) {
  print("== Part 1: uploads, a flaky encoder (30 % failures, retried with backoff), a corrupt file\n");
  const dead = await uploads(seed, print);
  print("\n== Part 2a: worker crash mid-encode with early ack (Celery's default)\n");
  const early = await crash(seed, false, print);
  print("\n== Part 2b: the same crash with acksLate + rejectOnWorkerLost\n");
  const late = await crash(seed, true, print);
  return { dead, early, late };
}
