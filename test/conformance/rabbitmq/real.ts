/**
 * The real-broker side of the conformance suite: scenario contexts whose connections go to a
 * running RabbitMQ (started by `scripts/rabbitmq.sh start`).
 */
import { randomBytes } from "node:crypto";
import amqplib from "amqplib";
import type { Login, ScenarioContext } from "./harness.js";

/** `url` with `login`'s credentials and virtual host. */
function loginUrl(url: string, login: Login): string {
  const parsed = new URL(url);
  parsed.username = encodeURIComponent(login.username);
  parsed.password = encodeURIComponent(login.password);
  parsed.pathname = `/${encodeURIComponent(login.vhost ?? "/")}`;
  return parsed.toString();
}

/** The broker URL: `BROKERLAB_AMQP_URL`, else `amqp://127.0.0.1:${RABBITMQ_PORT ?? 5673}`. */
export function realBrokerUrl(): string {
  return process.env.BROKERLAB_AMQP_URL ?? `amqp://127.0.0.1:${process.env.RABBITMQ_PORT ?? "5673"}`;
}

/**
 * A fresh context for one scenario run against the real broker. Names get a prefix unique to the
 * run (`bl<time><random>-`), so reruns and leftovers of an interrupted run never collide.
 */
export function realContext(url = realBrokerUrl()): ScenarioContext {
  const prefix = `bl${Date.now().toString(36)}${randomBytes(3).toString("hex")}-`;
  return {
    // noDelay: without it, Nagle's algorithm holds a `get` sent right after an `ack` (no reply)
    // for ~40 ms, which turns drain loops from milliseconds into seconds.
    connect: () => amqplib.connect(url, { noDelay: true }),
    connectAs: (login) => amqplib.connect(loginUrl(url, login), { noDelay: true }),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    name: (base) => `${prefix}${base}`,
  };
}

/** Throws a clear error unless a broker answers at `url`; resolves with its product version. */
export async function assertRealBrokerReachable(url = realBrokerUrl()): Promise<string> {
  let connection: amqplib.ChannelModel;
  try {
    connection = await amqplib.connect(url);
  } catch (error) {
    throw new Error(
      `No RabbitMQ answers at ${url} (${(error as Error).message}). Start one with ` +
        "`scripts/rabbitmq.sh start`, or run the whole suite with `scripts/conformance.sh`.",
    );
  }
  const version = String(connection.connection.serverProperties.version ?? "unknown");
  await connection.close();
  return version;
}
