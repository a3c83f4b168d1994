import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { BrokerlabError } from "../scheduler/errors.js";
import type { Guarantee, Ordering, ProcessedBy } from "../semantics/check.js";
import {
  colorEnabled,
  colorsFor,
  FORMATS,
  type Format,
  fitText,
  type OutStream,
  WIDTH,
  writer,
} from "./output.js";

/**
 * The `brokerlab` command line, on commander: parsing, per-command help, `--version`, and usage
 * errors — every bad flag gets its own message, then the command's usage, exit 2. {@link run} is
 * the whole program minus the process: main.ts hands it argv and the real streams.
 *
 * Exit codes: 0 fine; 1 the command found a problem (an invalid history, a counterexample, an
 * anomaly that reproduces, a demo part that misbehaved); 2 usage or bad input; 3 a bug in brokerlab.
 *
 * @example
 * ```ts
 * process.exitCode = await run(["check", "history.jsonl"], { stdout: process.stdout, stderr: process.stderr, env: process.env });
 * ```
 */

/** The streams and environment the program runs with. */
export interface Io {
  readonly stdout: OutStream;
  readonly stderr: OutStream;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const GUARANTEES: readonly Guarantee[] = ["at-most-once", "at-least-once", "exactly-once"];
const ORDERINGS: readonly Ordering[] = ["none", "per-key", "per-partition"];
const PROCESSED_BY: readonly ProcessedBy[] = ["effect", "receive"];

/**
 * The package's version (from its package.json, two folders up from src/cli or dist/cli).
 *
 * @example
 * ```ts
 * version(); // "0.1.0"
 * ```
 */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    version: string;
  };
  return pkg.version;
}

/** Thrown by the commands' actions to end with an exit code (commander's actions return nothing). */
class Exit {
  constructor(readonly code: number) {}
}

/**
 * Runs the program on `argv` (without node and the script); resolves to the exit code.
 *
 * @example
 * ```ts
 * await run(["--version"], io); // prints "0.1.0", resolves to 0
 * ```
 */
const { bold } = pc.createColors(true);

export async function run(argv: readonly string[], io: Io): Promise<number> {
  const problems: string[] = [];
  const errColors = colorsFor(io.stderr, io.env);
  const args = [...argv];
  // `brokerlab` and `brokerlab --seed 7` run the demo, as they did before there were commands.
  const first = args[0];
  if (first === undefined || (first.startsWith("-") && !["-h", "--help", "-V", "--version"].includes(first)))
    args.unshift("demo");
  // `brokerlab help dmeo` gets the unknown-command message (with its suggestion), not the top help.
  const COMMANDS = ["demo", "check", "explore", "replay", "help"];
  if (args[0] === "help" && args[1] !== undefined && !COMMANDS.includes(args[1])) args.splice(0, 1);

  const integer = (flag: string, min?: number) => (value: string) => {
    if (!/^-?\d+$/.test(value) || (min !== undefined && Number(value) < min)) {
      problems.push(
        `${flag} must be ${min === undefined ? "an integer" : min === 1 ? "a positive integer" : `an integer ≥ ${min}`}, got ${JSON.stringify(value)}.`,
      );
      return Number.NaN;
    }
    return Number(value);
  };
  const oneOf =
    <T extends string>(flag: string, choices: readonly T[]) =>
    (value: string): T => {
      if (!(choices as readonly string[]).includes(value))
        problems.push(`${flag} must be one of ${choices.join(", ")}, got ${JSON.stringify(value)}.`);
      return value as T;
    };

  const program = new Command("brokerlab");
  const configure = (cmd: Command, name: string) => {
    cmd
      .exitOverride((error) => {
        throw error;
      })
      .showHelpAfterError(true)
      // Titles always styled: commander strips the codes for a stream without colour.
      .configureHelp({ helpWidth: WIDTH, styleTitle: (title) => bold(title) })
      .configureOutput({
        writeOut: (text) => io.stdout.write(text),
        writeErr: (text) => io.stderr.write(text),
        getOutHasColors: () => colorEnabled(io.stdout, io.env),
        getErrHasColors: () => colorEnabled(io.stderr, io.env),
        getOutHelpWidth: () => WIDTH,
        getErrHelpWidth: () => WIDTH,
        outputError: (text, write) => {
          const own = text.replace(/^error: /, "").trim();
          for (const problem of [...problems.splice(0), ...(own === "" ? [] : [own])])
            write(
              `${fitText(`${errColors.red(`brokerlab${name === "" ? "" : ` ${name}`}:`)} ${problem.replace(/\n/g, " ")}`)}\n`,
            );
        },
      });
    return cmd;
  };
  configure(program, "")
    .description("A message-broker simulator on a virtual clock: demos, history checks, fault exploration.")
    .version(version(), "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .helpCommand("help [command]", "show help for a command")
    .addHelpText(
      "after",
      "\nExit codes: 0 fine; 1 a problem found (invalid history, counterexample, anomaly reproduced);\n" +
        "2 usage or bad input; 3 a bug in brokerlab.\n" +
        "Colour on a terminal only (NO_COLOR turns it off, FORCE_COLOR on); progress bars on stderr,\n" +
        "on a terminal only. Piped output is the same bytes for the same seed.",
    );
  program.hook("preAction", (_self, action) => {
    if (problems.length > 0) action.error("", { exitCode: 2, code: "brokerlab.usage" });
  });

  const format = (cmd: Command) =>
    cmd.option(
      "--format <format>",
      `output format: ${FORMATS.join(", ")}`,
      oneOf("--format", FORMATS),
      "text",
    );
  const out = (f: Format) => writer(io.stdout, io.env, f);

  format(
    configure(program.command("demo"), "demo")
      .description("run the demo: the M/M/1 kernel, Kafka transactions, the payment bug, Celery tasks")
      .option("--seed <n>", "simulation seed (an integer)", integer("--seed"), 42)
      .option("--customers <n>", "customers in the M/M/1 queue", integer("--customers", 1), 20_000)
      .option("--seeds <n>", "seeds for the M/M/1 confidence interval", integer("--seeds", 2), 10),
  ).action(async (opts: { seed: number; customers: number; seeds: number; format: Format }) => {
    // Each command loads its modules when it runs: --version, help and usage errors stay quick.
    const { demoCommand } = await import("./demo-command.js");
    throw new Exit(
      await demoCommand(
        opts,
        out(opts.format),
        io.stderr,
        io.stdout.isTTY === true && opts.format === "text",
      ),
    );
  });

  format(
    configure(program.command("check"), "check")
      .description("check a recorded history (JSON lines; - reads stdin) against a delivery guarantee")
      .argument("<history.jsonl>", "the history: one operation per line, or a JSON array")
      .option("--guarantee <g>", GUARANTEES.join(", "), oneOf("--guarantee", GUARANTEES), "at-least-once")
      .option("--ordering <o>", ORDERINGS.join(", "), oneOf("--ordering", ORDERINGS), "none")
      .option(
        "--processed-by <p>",
        "what counts as processed: effect or receive (default: effect when the history has effects)",
        oneOf("--processed-by", PROCESSED_BY),
      ),
  ).action(
    async (
      path: string,
      opts: { guarantee: Guarantee; ordering: Ordering; processedBy?: ProcessedBy; format: Format },
    ) => {
      const { checkCommand } = await import("./check-command.js");
      throw new Exit(
        await checkCommand(
          path,
          {
            guarantee: opts.guarantee,
            ordering: opts.ordering,
            ...(opts.processedBy !== undefined ? { processedBy: opts.processedBy } : {}),
          },
          out(opts.format),
        ),
      );
    },
  );

  format(
    configure(program.command("explore"), "explore")
      .description("explore a scenario module under generated fault plans; shrink the first failure")
      .argument("<scenario-module>", "a JS module: export default async ({ sim, history, faults }) => { … }")
      .option("--runs <n>", "runs to try", integer("--runs", 1), 100)
      .option("--seed <n>", "exploration seed (an integer)", integer("--seed"), 0)
      .option(
        "--expect <g>",
        `guarantee (default: the module's expect, else at-least-once): ${GUARANTEES.join(", ")}`,
        oneOf("--expect", GUARANTEES),
      )
      .option("--faults <space.json>", "a fault space as JSON (default: the module's faults export)")
      .option("--out <failure.json>", "write the counterexample here, for replay")
      .addHelpText(
        "after",
        '\nTypeScript scenarios: NODE_OPTIONS="--import tsx" npx brokerlab explore scenario.ts',
      ),
  ).action(
    async (
      path: string,
      opts: { runs: number; seed: number; expect?: Guarantee; faults?: string; out?: string; format: Format },
    ) => {
      const { exploreCommand } = await import("./explore-command.js");
      throw new Exit(await exploreCommand(path, opts, out(opts.format), io.stderr));
    },
  );

  format(
    configure(program.command("replay"), "replay")
      .description("replay a failure explore wrote: same seed and plan, same trace hash")
      .argument("<scenario-module>", "the scenario module explore ran")
      .argument("<failure.json>", "the file explore --out wrote")
      .option(
        "--expect <g>",
        `guarantee (default: the failure's, else the module's): ${GUARANTEES.join(", ")}`,
        oneOf("--expect", GUARANTEES),
      )
      .addHelpText("after", "\nExit 1 when the anomaly reproduces, 0 when the run now passes (fixed)."),
  ).action(async (path: string, failure: string, opts: { expect?: Guarantee; format: Format }) => {
    const { replayCommand } = await import("./explore-command.js");
    throw new Exit(await replayCommand(path, failure, opts, out(opts.format)));
  });

  const commandName = () => args.find((a) => !a.startsWith("-")) ?? "";
  try {
    await program.parseAsync(args, { from: "user" });
    return 0;
  } catch (error) {
    if (error instanceof Exit) return error.code;
    if (error instanceof CommanderError) {
      if (["commander.helpDisplayed", "commander.help", "commander.version"].includes(error.code)) return 0;
      return 2;
    }
    if (error instanceof BrokerlabError) {
      io.stderr.write(
        `${fitText(`${errColors.red(`brokerlab ${commandName()}:`)} ${error.code}: ${error.message}`)}\n`,
      );
      return 2;
    }
    io.stderr.write(
      `${errColors.red("brokerlab: internal error (a bug in brokerlab; please report it):")}\n${
        error instanceof Error ? (error.stack ?? error.message) : String(error)
      }\n`,
    );
    return 3;
  }
}
