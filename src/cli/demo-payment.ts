import { KAFKAJS_CLUSTER_DEFAULTS, Kafka, logLevel } from "../compat/kafkajs/index.js";
import { LogCluster } from "../log/cluster.js";
import { DedupeStore } from "../semantics/dedupe.js";
import { type ExploreResult, explore, type ScenarioContext } from "../semantics/explore.js";
import type { FaultSpace } from "../semantics/fault-space.js";
import { jsLiteral } from "./text.js";

/**
 * The payment case of `npm start` (and of the zoo): a kafkajs consumer charges a card for each
 * payment message. The course's handler guards the charge with a Redis key — GET
 * `payment:<id>`, charge, SETEX — which still charges twice when the process dies between the
 * charge and the SETEX (the message is redelivered, the key is not there). The fixed handler
 * hands the gateway an idempotency key that the gateway claims atomically (SET NX) before
 * charging. brokerlab explores both under crash plans and checks exactly-once charging.
 *
 * @example
 * ```ts
 * const demo = await runPaymentDemo(42);
 * console.log(formatPaymentDemo(demo));
 * ```
 */

/** The course's handler, as printed by the demo. */
export const COURSE_HANDLER = `eachMessage: async ({ message }) => {
  const key = \`payment:\${id(message)}\`;
  if (await redis.get(key)) return;          // already charged
  await gateway.charge(id(message));
  await redis.setex(key, 86_400, "done");    // remember it
}`;

/** The fixed handler, as printed by the demo. */
export const FIXED_HANDLER = `eachMessage: async ({ message }) => {
  const key = \`payment:\${id(message)}\`;
  // the gateway claims the key with SET NX, and charges only if the claim succeeded
  await gateway.charge(id(message), { idempotencyKey: key });
}`;

const DAY_MS = 86_400_000;

/** The payment scenario: `fixed` picks the handler. */
export function paymentScenario(fixed: boolean) {
  return async (ctx: ScenarioContext): Promise<void> => {
    const cluster = new LogCluster(ctx.sim, {
      ...KAFKAJS_CLUSTER_DEFAULTS,
      groupInitialRebalanceDelayMs: 0,
      groupMinSessionTimeoutMs: 1000,
    });
    cluster.createTopic("payments");
    ctx.faults.attachLog(cluster);
    const kafka = (clientId: string) =>
      new Kafka({
        clientId,
        brokers: ["broker:9092"],
        simulation: ctx.sim,
        cluster,
        logLevel: logLevel.NOTHING,
      });
    const redis = new DedupeStore(ctx.sim, { latencyMs: 1 });
    const gatewayKeys = new DedupeStore(ctx.sim, { latencyMs: 1 });
    // The gateway is a remote service: once a request reached it, it finishes the charge even if
    // the caller dies meanwhile, so its work runs on its own side (an event outside the process).
    const gateway = {
      charge(id: string, idempotencyKey?: string): Promise<void> {
        return new Promise<void>((resolve) => {
          ctx.sim.defer(async () => {
            if (
              idempotencyKey === undefined ||
              (await gatewayKeys.setIfAbsent(idempotencyKey, "charged", DAY_MS))
            )
              ctx.history.effect("billing", "charge", id);
            resolve();
          });
        });
      },
    };
    const app = kafka("billing");
    ctx.faults.spawn("billing", async (p) => {
      const consumer = p.own(
        app.consumer({
          groupId: "billing",
          sessionTimeout: 3000,
          heartbeatInterval: 500,
          maxWaitTimeInMs: 500,
        }),
      );
      await consumer.subscribe({ topic: "payments", fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ message }) => {
          const id = String(message.headers.id);
          const key = `payment:${id}`;
          if (!fixed) {
            if ((await redis.get(key)) !== null) return;
            await p.work(3);
            await gateway.charge(id);
            await p.point("after-charge");
            await redis.setex(key, DAY_MS, "done");
          } else {
            await p.work(3);
            await gateway.charge(id, key);
            await p.point("after-charge");
          }
        },
      });
    });
    const producer = kafka("checkout").producer();
    await producer.connect();
    for (let i = 0; i < 5; i++) {
      await producer.send({
        topic: "payments",
        messages: [{ key: `card-${i % 2}`, value: `${10 + i} EUR`, headers: { id: `pay-${i}` } }],
      });
    }
    await ctx.sim.sleep(30_000);
  };
}

/** Crashes of the billing process at its one crash point or at any time in the first 5 s. */
export const PAYMENT_FAULTS: FaultSpace = { processes: { billing: ["after-charge"] }, horizonMs: 5000 };

/** Both explorations. */
export interface PaymentDemo {
  readonly seed: number;
  readonly course: ExploreResult;
  readonly fixed: ExploreResult;
  readonly wallMs: { course: number; fixed: number };
}

/**
 * Explores the course's handler (200 runs at most) and the fixed one (500 runs). `onProgress`
 * hears (runs done, runs planned, what is running) after every run, shrinking runs included.
 *
 * @example
 * ```ts
 * (await runPaymentDemo(1)).fixed.ok; // true
 * ```
 */
export async function runPaymentDemo(
  seed: number,
  onProgress: (done: number, total: number, label: string) => void = () => {},
): Promise<PaymentDemo> {
  const t0 = performance.now();
  const course = await explore(paymentScenario(false), {
    runs: 200,
    seed,
    faults: PAYMENT_FAULTS,
    expect: "exactly-once",
    onProgress: ({ runs, shrinking }) =>
      onProgress(
        runs,
        Math.max(runs, 200) + 500,
        shrinking ? "shrinking the course's counterexample" : "exploring the course's handler",
      ),
  });
  const t1 = performance.now();
  const fixed = await explore(paymentScenario(true), {
    runs: 500,
    seed,
    faults: PAYMENT_FAULTS,
    expect: "exactly-once",
    onProgress: ({ runs }) => onProgress(200 + runs, 700, "exploring the fixed handler"),
  });
  const t2 = performance.now();
  return { seed, course, fixed, wallMs: { course: t1 - t0, fixed: t2 - t1 } };
}

/**
 * The demo's text: the handler, the counterexample as a short timeline, the fixed handler
 * passing. `timings` adds wall-clock durations (the CLI shows them only on a terminal, so that
 * piped output is the same for a seed every time).
 *
 * @example
 * ```ts
 * console.log(formatPaymentDemo(await runPaymentDemo(42), { format: "markdown" }));
 * ```
 */
export function formatPaymentDemo(
  demo: PaymentDemo,
  options: { format?: "text" | "markdown"; timings?: boolean } = {},
): string {
  const markdown = options.format === "markdown";
  const code = (lang: string, text: string) => (markdown ? `\`\`\`${lang}\n${text}\n\`\`\`` : indent(text));
  const ms = (n: number) => (options.timings ? ` (${Math.round(n)} ms of wall time)` : "");
  const lines = ["The course's handler:", "", code("js", COURSE_HANDLER), ""];
  if (demo.course.ok)
    lines.push(`brokerlab found no counterexample in ${demo.course.runs} runs (unexpected).`);
  else {
    const f = demo.course.failure;
    const charges = f.history.operations.filter((op) => op.f === "effect" && op.type === "ok");
    const twice = f.check.anomalies.find((a) => a.kind === "duplicate");
    const timeline = f.history.operations
      .filter(
        (op) =>
          (op.value.id === twice?.ids[0] &&
            op.type === "ok" &&
            (op.f === "send" || op.f === "receive" || op.f === "effect")) ||
          (op.type === "ok" && (op.f === "crash" || op.f === "restart")),
      )
      .map((op) =>
        `t=${op.time}ms ${op.process} ${op.f === "effect" ? `charge ${op.value.id}` : `${op.f} ${op.value.id ?? ""}`}`.trimEnd(),
      );
    lines.push(
      `brokerlab's counterexample: exploration run ${f.runsUntilFailure} failed, and ${f.shrinks} shrink step(s) made it`,
      `minimal (${demo.course.runs} runs in all${options.timings ? `, ${Math.round(demo.wallMs.course)} ms of wall time` : ""}).`,
      `  plan:  ${f.fired.map((x) => x.fault).join("; ") || "(none)"}`,
      `  found: ${(twice?.message ?? f.check.toText()).replace(/\.$/, "")} (${charges.length} charges for 5 payments)`,
      "  timeline (virtual time):",
      markdown ? code("text", timeline.join("\n")) : timeline.map((l) => `    ${l}`).join("\n"),
      "  replay it, in code:",
      markdown
        ? code("ts", `await replay(scenario, ${jsLiteral({ seed: f.seed, plan: f.plan }, 0, 23)})`)
        : `    await replay(scenario, ${jsLiteral({ seed: f.seed, plan: f.plan }, 4, 27)})`,
    );
  }
  lines.push("", "The fixed handler:", "", code("js", FIXED_HANDLER), "");
  lines.push(
    demo.fixed.ok
      ? `passes: ${demo.fixed.runs} explored runs under crash plans, every payment charged exactly once${ms(demo.wallMs.fixed)}.`
      : `FAILS:\n${demo.fixed.failure.report}`,
  );
  return lines.join("\n");
}
function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => `    ${l}`)
    .join("\n");
}
