import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type ConsumeMessage, connect } from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

const root = join(import.meta.dirname, "..", "..", "..");
const examples = join(root, "node_modules", "amqplib", "examples");

/**
 * Runs amqplib's example scripts, unmodified, in one fresh Node process against the facade's
 * shared auto-driven simulation: each script's `require("amqplib")` (or `require("../")`) gets
 * brokerlab's amqplib facade, `require("uuid")` a `v4` on `crypto.randomUUID` (not installed
 * here); everything else is Node's own `require`. Like the real servers, the RPC server runs
 * until Ctrl+C: once `lastLine` is printed the process gets SIGINT (the server's handler closes
 * its channel and connection) and must then exit by itself. Rejects after `timeoutMs`.
 */
function runExamples(
  scripts: Array<{ path: string; argv?: string[] }>,
  lastLine: string,
  timeoutMs = 30_000,
): Promise<{ stdout: string; stderr: string; code: number | null }> {
  const source = `
    import { createRequire } from "node:module";
    import { readFileSync } from "node:fs";
    import { dirname } from "node:path";
    import { randomUUID } from "node:crypto";
    import * as amqp from "./src/compat/amqplib/index.ts";
    const scripts = ${JSON.stringify(scripts)};
    for (const { path, argv } of scripts) {
      const nodeRequire = createRequire(path);
      const require = (id) =>
        id === "amqplib" || id === "../" ? amqp : id === "uuid" ? { v4: randomUUID } : nodeRequire(id);
      if (argv) process.argv = [process.argv[0], path, ...argv];
      const body = readFileSync(path, "utf8").replace(/^#!.*\\n/, "");
      const module = { exports: {} };
      new Function("require", "module", "exports", "__filename", "__dirname", body)(
        require, module, module.exports, path, dirname(path));
    }`;
  const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", source], {
    cwd: root,
  });
  let stdout = "";
  let stderr = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(`timed out; stdout so far: ${JSON.stringify(stdout)}, stderr: ${JSON.stringify(stderr)}`),
      );
    }, timeoutMs);
    let interrupted = false;
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      if (!interrupted && stdout.includes(lastLine)) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code });
    });
  });
}

describe("Direct Reply-to through the amqplib facade", () => {
  it("amqplib's direct_reply_to_{server,client}.js examples: ping, pong; after Ctrl+C the process exits", async () => {
    const result = await runExamples(
      [
        { path: join(examples, "direct_reply_to_server.js") },
        { path: join(examples, "direct_reply_to_client.js") },
      ],
      " [.] pong",
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      " [x] To exit press CTRL+C.",
      " [X] ping",
      " [.] pong",
    ]);
    expect(result.code).toBe(0);
  });

  it("the RPC tutorial (rpc_server.js, rpc_client.js 10): fib(10) = 55; after Ctrl+C the process exits", async () => {
    const result = await runExamples(
      [
        { path: join(examples, "tutorials", "rpc_server.js") },
        { path: join(examples, "tutorials", "rpc_client.js"), argv: ["10"] },
      ],
      " [.] Got 55",
    );
    expect(result.stderr).toBe("");
    expect(result.stdout.trimEnd().split("\n")).toEqual([
      " [x] Awaiting RPC requests. To exit press CTRL+C.",
      " [x] Requesting fib(10)",
      " [.] fib(10)",
      " [.] Got 55",
    ]);
    expect(result.code).toBe(0);
  });

  it("replies arrive as amqplib delivers them: exchange '', the reply-to name as routing key, the reply's properties", async () => {
    const sim = new Simulation({ start: 0, seed: 2, drive: "auto" });
    try {
      const connection = await connect("amqp://localhost", { simulation: sim });
      const server = await connection.createChannel();
      await server.assertQueue("rpc", { durable: false });
      const names: string[] = [];
      await server.consume(
        "rpc",
        (msg) => {
          const replyTo = msg!.properties.replyTo as string;
          names.push(replyTo);
          server.sendToQueue(replyTo, Buffer.from("pong"), { correlationId: msg!.properties.correlationId });
        },
        { noAck: true },
      );
      const client = await connection.createChannel();
      const replies: ConsumeMessage[] = [];
      const { consumerTag } = await client.consume("amq.rabbitmq.reply-to", (msg) => replies.push(msg!), {
        noAck: true,
      });
      client.sendToQueue("rpc", Buffer.from("ping"), {
        replyTo: "amq.rabbitmq.reply-to",
        correlationId: "c-1",
      });
      await sim.until(new Promise<void>((resolve) => sim.after(10, resolve)));
      expect(names[0]).toMatch(/^amq\.rabbitmq\.reply-to\./);
      expect(replies).toHaveLength(1);
      const reply = replies[0]!;
      expect(reply.fields).toEqual({
        consumerTag,
        deliveryTag: 1,
        redelivered: false,
        exchange: "",
        routingKey: names[0],
      });
      expect(reply.content.toString()).toBe("pong");
      expect(reply.properties.correlationId).toBe("c-1");
      const check = await client.checkQueue("amq.rabbitmq.reply-to");
      expect(check).toEqual({ queue: "amq.rabbitmq.reply-to", messageCount: 0, consumerCount: 1 });
      await connection.close();
    } finally {
      sim.close();
    }
  });

  it("consuming without noAck closes the channel with amqplib's 406 message", async () => {
    const sim = new Simulation({ start: 0, seed: 2, drive: "auto" });
    try {
      const connection = await connect("amqp://localhost", { simulation: sim });
      const channel = await connection.createChannel();
      const errors: string[] = [];
      channel.on("error", (error: Error) => errors.push(error.message));
      await expect(channel.consume("amq.rabbitmq.reply-to", () => undefined)).rejects.toThrow(
        'Operation failed: BasicConsume; 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - reply consumer cannot acknowledge"',
      );
      expect(errors).toEqual([
        'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - reply consumer cannot acknowledge"',
      ]);
      const other = await connection.createChannel();
      other.on("error", (error: Error) => errors.push(error.message));
      other.sendToQueue("rpc", Buffer.from("x"), { replyTo: "amq.rabbitmq.reply-to" });
      await sim.until(new Promise<void>((resolve) => other.once("close", () => resolve())));
      expect(errors[1]).toBe(
        'Channel closed by server: 406 (PRECONDITION-FAILED) with message "PRECONDITION_FAILED - fast reply consumer does not exist"',
      );
      await connection.close();
    } finally {
      sim.close();
    }
  });
});
