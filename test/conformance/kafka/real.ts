/**
 * The real side of the Kafka conformance suite: contexts whose clients are real kafkajs clients
 * talking to librdkafka's mock cluster (scripts/kafka-mock.sh).
 *
 * The bootstrap address comes from `KAFKA_BOOTSTRAP`, else from the address file the mock script
 * writes (`KAFKA_MOCK_ADDRESS_FILE`, default `$KAFKA_MOCK_STATE_DIR/address`, that is
 * `/tmp/brokerlab-kafka-mock/address`).
 * {@link ensureMockCluster} starts the mock when neither is available.
 */
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { Admin, Consumer, Producer } from "kafkajs";
import { Kafka, logLevel } from "kafkajs";
import type { KafkaLike } from "./context.js";
import type { ContextFactory, ContextHandle } from "./runner.js";

// kafkajs 2.x warns once that its default partitioner changed; the suite means the new one.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = "1";

const execFileAsync = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
/** scripts/kafka-mock.sh, relative to this file. */
export const MOCK_SCRIPT = resolve(here, "../../../scripts/kafka-mock.sh");
/** Where scripts/kafka-mock.sh writes the bootstrap address (`$KAFKA_MOCK_STATE_DIR/address`). */
export const DEFAULT_ADDRESS_FILE = `${process.env.KAFKA_MOCK_STATE_DIR ?? "/tmp/brokerlab-kafka-mock"}/address`;

/** The mock's bootstrap address from the environment or the address file, if known. */
export function resolveBootstrap(): string | undefined {
  const fromEnv = process.env.KAFKA_BOOTSTRAP?.trim();
  if (fromEnv) return fromEnv;
  const file = process.env.KAFKA_MOCK_ADDRESS_FILE ?? DEFAULT_ADDRESS_FILE;
  try {
    const text = readFileSync(file, "utf8").trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

/** A mock cluster the caller can use, and how to release it. */
export interface MockCluster {
  readonly bootstrap: string;
  /** Stops the mock if this process started it; otherwise does nothing. */
  release(): Promise<void>;
}

/** Whether something accepts TCP connections at `host:port` (first address of a list). */
function accepts(bootstrap: string, timeoutMs = 2000): Promise<boolean> {
  const [host, port] = (bootstrap.split(",")[0] ?? "").split(":");
  return new Promise((done) => {
    const socket = connect({ host, port: Number(port) });
    const finish = (ok: boolean) => {
      socket.destroy();
      done(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once("connect", () => finish(true));
    socket.once("error", () => finish(false));
  });
}

/**
 * Returns a usable broker address: `KAFKA_BOOTSTRAP` as given, else the address file's if its
 * port accepts connections, else a mock started with scripts/kafka-mock.sh (stopped again by
 * `release`).
 */
export async function ensureMockCluster(): Promise<MockCluster> {
  const keep = async () => {};
  const fromEnv = process.env.KAFKA_BOOTSTRAP?.trim();
  if (fromEnv) return { bootstrap: fromEnv, release: keep };
  const known = resolveBootstrap();
  if (known && (await accepts(known))) return { bootstrap: known, release: keep };

  const { stdout } = await execFileAsync("bash", [MOCK_SCRIPT, "start"], { timeout: 600_000 });
  const bootstrap = stdout.trim().split("\n").pop() ?? "";
  if (!/^127\.0\.0\.1:\d+/.test(bootstrap))
    throw new Error(`kafka-mock.sh start printed ${JSON.stringify(stdout)}`);
  return {
    bootstrap,
    release: async () => {
      await execFileAsync("bash", [MOCK_SCRIPT, "stop"]);
    },
  };
}

/** Retry settings: quick first retries, enough of them to ride out group rebalances. */
const RETRY = { initialRetryTime: 100, maxRetryTime: 2000, retries: 8 };

let runCounter = 0;

/**
 * A context factory for the real mock at `bootstrap`. Names are `${base}-${runId}`, unique per
 * process and run, since the mock keeps topics and groups for as long as it lives.
 */
export function realContextFactory(bootstrap: string): ContextFactory {
  const brokers = bootstrap.split(",");
  return (scenario): ContextHandle => {
    const runId = `${Date.now().toString(36)}${(runCounter++).toString(36)}${process.pid.toString(36)}`;
    const names = new Map<string, string>();
    const clients: (Producer | Consumer | Admin)[] = [];
    const track = <T extends Producer | Consumer | Admin>(client: T): T => {
      clients.push(client);
      return client;
    };
    return {
      context: {
        kafka(clientId = `conformance-${scenario.name}`): KafkaLike {
          const kafka = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: RETRY });
          return {
            producer: (config) => track(kafka.producer(config)),
            consumer: (config) => track(kafka.consumer({ retry: RETRY, ...config })),
            admin: (config) => track(kafka.admin(config)),
          };
        },
        sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
        name(base) {
          if ([...names.values()].includes(base)) throw new Error(`name base ${base} used twice in one run`);
          const unique = `${base}-${runId}`;
          names.set(unique, base);
          return unique;
        },
      },
      names: () => names,
      async dispose() {
        // Consumers first, so they leave their groups while admins and producers still work.
        const ordered = [...clients].sort((a, b) => Number("run" in b) - Number("run" in a));
        for (const client of ordered) await client.disconnect().catch(() => {});
      },
    };
  };
}
