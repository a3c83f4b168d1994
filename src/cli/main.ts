#!/usr/bin/env node
/**
 * The `brokerlab` command. Node only: src/cli is the one place under src/ that may use node:
 * modules and the wall clock. The program itself is in program.ts; this file hands it the
 * process's arguments, streams and environment.
 *
 *   brokerlab demo [--seed N] [--customers N] [--format text|json|markdown]
 *   brokerlab check <history.jsonl> [--guarantee G] [--ordering O] [--processed-by P]
 *   brokerlab explore <scenario-module> [--runs N] [--seed N] [--expect G] [--faults F] [--out F]
 *   brokerlab replay <scenario-module> <failure.json>
 *   brokerlab help [command] | --version
 */
import { run } from "./program.js";

// `brokerlab demo | head`: the reader left; stop quietly instead of dying on EPIPE.
for (const stream of [process.stdout, process.stderr])
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });

run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `brokerlab: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 3;
  },
);
