import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * Auto-mode regressions of the amqplib facade (issue 8), each in a fresh Node process on the
 * shared auto-driven default simulation: after a channel error reaches a connection-level 'error'
 * listener, and after every connection closes, the program must neither freeze nor spin, and must
 * exit by itself.
 */

const root = join(import.meta.dirname, "..", "..", "..");

function runScript(body: string, timeoutMs = 20_000) {
  const source =
    'import { connect, defaultSimulation } from "./src/compat/amqplib/index.ts"; ' +
    "const c0 = process.cpuUsage(); const w0 = performance.now(); " +
    "process.on('exit', () => { const c = process.cpuUsage(c0); " +
    "console.log(JSON.stringify({ exitWallMs: performance.now() - w0, cpuMs: (c.user + c.system) / 1000 })); }); " +
    body;
  return spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: root,
    timeout: timeoutMs,
    encoding: "utf8",
  });
}

function exitReport(stdout: string): { exitWallMs: number; cpuMs: number } {
  return JSON.parse(stdout.trim().split("\n").pop()!) as { exitWallMs: number; cpuMs: number };
}

describe("amqplib in auto mode lets go (fresh processes)", () => {
  it("a channel error heard by the connection's 'error' listener: error, close, then the script exits", () => {
    // Acking a delivery twice is a channel error (406); with no channel listener amqplib turns it
    // into a connection error.
    const result = runScript(
      'const conn = await connect("amqp://localhost"); ' +
        "conn.on('error', (e) => console.log('connection error', e.message)); conn.on('close', () => console.log('closed')); " +
        'const ch = await conn.createChannel(); await ch.assertQueue("jobs", { arguments: { "x-message-ttl": 60000 } }); ' +
        'await ch.consume("jobs", (m) => { ch.ack(m); ch.ack(m); }); ch.sendToQueue("jobs", Buffer.from("a"));',
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/connection error .*406 \(PRECONDITION-FAILED\)/);
    expect(result.stdout).toContain("closed");
  });

  it("a consumer callback that throws reaches the connection's 'error' listener and the script exits", () => {
    const result = runScript(
      'const conn = await connect("amqp://localhost"); ' +
        "conn.on('error', (e) => console.log('connection error', e.message)); " +
        'const ch = await conn.createChannel(); await ch.assertQueue("jobs"); ' +
        'await ch.consume("jobs", () => { throw new Error("boom"); }); ch.sendToQueue("jobs", Buffer.from("a"));',
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("connection error boom");
  });

  it("after a channel error the process neither spins nor freezes while the program's own timer runs", () => {
    // The program keeps a real timer for half a second after the error (a reconnect delay);
    // meanwhile the simulation may only follow the wall clock, not burn a core.
    const result = runScript(
      'const conn = await connect("amqp://localhost"); const sim = defaultSimulation(); ' +
        "let errorAt = -1; conn.on('error', () => { errorAt = performance.now(); }); " +
        'const ch = await conn.createChannel(); await ch.assertQueue("jobs"); ' +
        'await ch.consume("jobs", (m) => { ch.ack(m); ch.ack(m); }); ch.sendToQueue("jobs", Buffer.from("a")); ' +
        "await new Promise((r) => setTimeout(r, 50)); const v0 = sim.now; const c1 = process.cpuUsage(); const w1 = performance.now(); " +
        "await new Promise((r) => setTimeout(r, 500)); const c = process.cpuUsage(c1); " +
        "console.log(JSON.stringify({ sawError: errorAt >= 0, advanced: sim.now - v0, cpuPct: ((c.user + c.system) / 1000 / (performance.now() - w1)) * 100 }));",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    const lines = result.stdout.trim().split("\n");
    const during = JSON.parse(lines[lines.length - 2]!) as {
      sawError: boolean;
      advanced: number;
      cpuPct: number;
    };
    expect(during.sawError).toBe(true);
    expect(during.cpuPct).toBeLessThan(5);
    expect(during.advanced).toBeLessThanOrEqual(1000);
    expect(exitReport(result.stdout).exitWallMs).toBeLessThan(5000);
  });

  it("after every connection closes (queues with TTLs and expiry left behind), the script exits by itself", () => {
    const result = runScript(
      'const a = await connect("amqp://localhost"); const b = await connect("amqp://localhost"); ' +
        "const pub = await a.createConfirmChannel(); const sub = await b.createChannel(); " +
        'await sub.assertQueue("work", { arguments: { "x-message-ttl": 3600000, "x-expires": 7200000 } }); ' +
        'let got = 0; const done = new Promise((r) => sub.consume("work", (m) => { sub.ack(m); if (++got === 3) r(); })); ' +
        'for (let i = 0; i < 3; i++) pub.sendToQueue("work", Buffer.from(String(i))); await pub.waitForConfirms(); await done; ' +
        'await sub.assertQueue("later", { arguments: { "x-message-ttl": 3600000, "x-expires": 7200000 } }); ' +
        'sub.sendToQueue("later", Buffer.from("left behind")); ' +
        "await a.close(); await b.close(); console.log('closed both, got', got);",
    );
    expect(result.error).toBeUndefined();
    expect(result.status).toBe(0);
    expect(result.stdout).toContain("closed both, got 3");
    expect(exitReport(result.stdout).exitWallMs).toBeLessThan(5000);
  });
});
