/**
 * Application code written for amqplib (fixtures/task-app.ts imports "amqplib" itself) runs
 * unchanged against brokerlab: the module mock below is the only change, standing for "change
 * the import". Nothing drives the simulation by hand: `connect()` joins the shared auto-driven
 * default simulation, which moves virtual time whenever the program waits (the retry queue's 5 s
 * TTL passes instantly).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { defaultSimulation, resetDefaultSimulation } from "../../../src/compat/amqplib/index.js";
import { auditLog, runTasks, startWorker } from "./fixtures/task-app.js";

vi.mock("amqplib", () => import("../../../src/compat/amqplib/index.js"));

const URL = "amqp://guest:guest@localhost:5672";

afterEach(() => resetDefaultSimulation());

describe("an amqplib application on the auto-driven default simulation", () => {
  it("two workers, a publisher and an audit subscriber, each on its own connection", async () => {
    const started = Date.now();
    const audit = await auditLog(URL, "task.failed.#");
    const all = await auditLog(URL, "task.*.*");
    const alice = await startWorker(URL, "alice");
    const bob = await startWorker(URL, "bob");
    const tasks = ["a", "flaky:b", "c", "d", "flaky:e", "f"];
    const replies = await runTasks(URL, tasks);

    // Every task done exactly once; the flaky ones on their second attempt, 5 virtual s later.
    expect(replies.map((r) => r.task).sort()).toEqual([...tasks].sort());
    for (const reply of replies) expect(reply.attempts).toBe(reply.task.startsWith("flaky:") ? 2 : 1);
    expect([...alice.processed, ...bob.processed].sort()).toEqual([...tasks].sort());
    // Fair dispatch (prefetch 1) spreads the work over both workers.
    expect(alice.processed.length).toBeGreaterThan(0);
    expect(bob.processed.length).toBeGreaterThan(0);
    expect(audit).toHaveLength(2);
    expect(audit.every((line) => /^task\.failed\.(alice|bob) flaky:[be]$/.test(line))).toBe(true);
    expect(all.filter((line) => line.startsWith("task.done."))).toHaveLength(6);

    const sim = defaultSimulation();
    expect(sim.drive).toBe("auto");
    expect(sim.now).toBeGreaterThanOrEqual(5000); // the retry delay passed in virtual time
    expect(Date.now() - started).toBeLessThan(5000); // … not in wall time
    const broker = (await import("../../../src/compat/amqplib/index.js")).brokerFor(sim);
    expect(broker.getQueue("app.tasks")!.ready).toBe(0);
    expect(broker.getQueue("app.tasks.retry")!.ready).toBe(0);
    await alice.stop();
    await bob.stop();
  });

  it("is deterministic: the same program on a fresh default simulation gives the same replies", async () => {
    const run = async () => {
      const alice = await startWorker(URL, "alice");
      const bob = await startWorker(URL, "bob");
      const replies = await runTasks(URL, ["1", "flaky:2", "3", "4"]);
      await alice.stop();
      await bob.stop();
      const at = defaultSimulation().now;
      resetDefaultSimulation();
      return { replies, at };
    };
    const first = await run();
    const second = await run();
    expect(second).toEqual(first);
  });
});
