import { readFile } from "node:fs/promises";
import { BrokerlabError } from "../scheduler/errors.js";
import { type CheckOptions, type CheckResult, check } from "../semantics/check.js";
import { History } from "../semantics/history.js";
import type { Writer } from "./output.js";

/**
 * `brokerlab check <history.jsonl>`: loads a history (JSON lines, or a JSON array; `-` reads
 * stdin), checks it, prints the verdict. Exit 0 valid, 1 invalid, 2 unreadable or malformed
 * input (the coded error's message).
 *
 * @example
 * ```ts
 * const code = await checkCommand("history.jsonl", { guarantee: "exactly-once" }, out, err);
 * ```
 */

/** A failure the CLI reports as bad input (exit 2), with a stable code. */
export class CliInputError extends BrokerlabError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/**
 * Reads a file, or stdin for `-`; a missing or unreadable file is a `CliInputError`.
 *
 * @example
 * ```ts
 * const text = await readInput("history.jsonl", "history");
 * ```
 */
export async function readInput(path: string, what: string): Promise<string> {
  try {
    if (path === "-") {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    }
    return await readFile(path, "utf8");
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliInputError(
      code === "ENOENT" ? "FILE_NOT_FOUND" : "FILE_UNREADABLE",
      code === "ENOENT"
        ? `cannot read the ${what} ${path}: no such file.`
        : `cannot read the ${what} ${path}: ${(error as Error).message}`,
    );
  }
}

/**
 * A check result as plain data (what `--format json` prints).
 *
 * @example
 * ```ts
 * JSON.stringify(checkResultJSON(check(history)));
 * ```
 */
export function checkResultJSON(result: CheckResult): Record<string, unknown> {
  return {
    valid: result.valid,
    guarantee: result.guarantee,
    ordering: result.ordering,
    processedBy: result.processedBy,
    counts: result.counts,
    anomalies: result.anomalies,
  };
}

/**
 * Runs `brokerlab check`.
 *
 * @example
 * ```ts
 * process.exitCode = await checkCommand("-", {}, out, err);
 * ```
 */
export async function checkCommand(path: string, options: CheckOptions, out: Writer): Promise<number> {
  const text = await readInput(path, "history");
  const history = History.fromJSON(text);
  const result = check(history, options);
  if (out.format === "json") out.json(checkResultJSON(result));
  else if (out.format === "markdown") out.line(result.toMarkdown());
  else {
    const c = out.color;
    out.line(
      result
        .toText()
        .split("\n")
        .map((l, i) =>
          i === 0 ? (result.valid ? c.green(l) : c.red(l)) : l.trimStart().startsWith("✗") ? c.red(l) : l,
        )
        .join("\n"),
    );
  }
  return result.valid ? 0 : 1;
}
