/**
 * Keep-alive (issue 11): a Node program that consumes through the amqplib facade stays alive while
 * its consumer waits, as amqplib's open socket keeps it alive, parked without CPU; closing the
 * connection lets it exit by itself. Each case runs in a fresh Node process on the shared
 * auto-driven default simulation.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const root = join(import.meta.dirname, "..", "..", "..");

function start(body: string): { child: ChildProcess; lines: string[]; exited: Promise<number | null> } {
  const source = `import { connect } from "./src/compat/amqplib/index.ts";\n${body}`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: root,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  let buffered = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (chunk: string) => {
    buffered += chunk;
    const parts = buffered.split("\n");
    buffered = parts.pop()!;
    lines.push(...parts);
  });
  let stderr = "";
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      if (stderr !== "") lines.push(`stderr: ${stderr}`);
      resolve(code);
    }),
  );
  return { child, lines, exited };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a consuming program stays alive until it closes its connection (fresh processes)", () => {
  it("stays up while consuming, parked without CPU, takes a message that comes later, exits after close()", async () => {
    const { child, lines, exited } = start(`
const conn = await connect("amqp://localhost");
const ch = await conn.createChannel();
await ch.assertQueue("jobs", { durable: false });
await ch.consume("jobs", (m) => { console.log("got " + m.content.toString()); ch.ack(m); });
// Another part of the program publishes later, from a real (unref'd) timer.
setTimeout(async () => {
  const other = await connect("amqp://localhost");
  const pub = await other.createChannel();
  pub.sendToQueue("jobs", Buffer.from("late"));
  await other.close();
}, 300).unref();
let c0;
setTimeout(() => { c0 = process.cpuUsage(); }, 700).unref();
process.on("SIGUSR2", async () => {
  const c = process.cpuUsage(c0);
  console.log("cpu " + (c.user + c.system) / 1000);
  await conn.close();
  console.log("closed");
});
console.log("consuming");
`);
    try {
      expect(await until(() => lines.includes("consuming"), 15_000)).toBe(true);
      await wait(1700);
      // Still alive a good while later, with nothing but the consumer to keep it so.
      expect(child.exitCode).toBe(null);
      expect(lines).toContain("got late");
      child.kill("SIGUSR2");
      const code = await Promise.race([exited, wait(10_000).then(() => "timeout" as const)]);
      expect(code).toBe(0);
      expect(lines).toContain("closed");
      // About 1 s parked: a consumer waiting costs (almost) no CPU.
      const cpu = Number(lines.find((line) => line.startsWith("cpu "))!.slice(4));
      expect(cpu).toBeLessThan(100);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 40_000);

  it("once its last consumer is cancelled the program may exit (brokerlab: consumers, not the socket, hold it)", async () => {
    const { child, lines, exited } = start(`
const conn = await connect("amqp://localhost");
const ch = await conn.createChannel();
await ch.assertQueue("jobs", { durable: false });
const { consumerTag } = await ch.consume("jobs", () => {});
setTimeout(async () => { await ch.cancel(consumerTag); console.log("cancelled"); }, 200).unref();
console.log("consuming");
`);
    try {
      const code = await Promise.race([exited, wait(15_000).then(() => "timeout" as const)]);
      expect(code).toBe(0);
      expect(lines).toEqual(["consuming", "cancelled"]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 40_000);
});
