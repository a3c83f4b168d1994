import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/**
 * The `brokerlab` command in a child process (`node --import tsx src/cli/main.ts`, so no build is
 * needed): flags, usage errors, colour, 100-column output, formats, and check / explore / replay.
 */
const root = join(import.meta.dirname, "..", "..");
const fixtures = join(import.meta.dirname, "fixtures");
const tmp = mkdtempSync(join(tmpdir(), "brokerlab-cli-"));
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes.
const ANSI = /\x1b\[/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes.
const ANSI_CODE = /\x1b\[[0-9;]*m/g;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string> = {}, input?: string): Promise<Result> {
  const base = { ...process.env };
  for (const key of ["NO_COLOR", "FORCE_COLOR", "NODE_OPTIONS"]) delete base[key];
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", ...args],
      { cwd: root, env: { ...base, ...env }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
    child.stdin?.end(input ?? "");
  });
}

function tooWide(text: string): string[] {
  return text.split("\n").filter((line) => line.length > 100);
}

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

const op = (index: number, process: string, type: string, f: string, value: Record<string, unknown>) =>
  JSON.stringify({ index, time: index, process, type, f, value });
/** One message sent and received once. */
const VALID = [
  op(0, "p", "invoke", "send", { id: "m1" }),
  op(1, "p", "ok", "send", { id: "m1" }),
  op(2, "c", "invoke", "receive", { id: "m1" }),
  op(3, "c", "ok", "receive", { id: "m1" }),
].join("\n");
/** The same message received twice. */
const TWICE = [
  VALID,
  op(4, "c", "invoke", "receive", { id: "m1" }),
  op(5, "c", "ok", "receive", { id: "m1" }),
].join("\n");

// Child processes are slow on a busy machine (the whole suite runs beside them): generous timeouts.
describe.concurrent("brokerlab, the command line", { timeout: 90_000 }, () => {
  it("--version prints package.json's version", async () => {
    const { version } = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string };
    const r = await cli(["--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `${version}\n`, stderr: "" });
  });

  it("help lists the commands, per-command help lists the flags, all within 100 columns", async () => {
    const [top, check, explore] = await Promise.all([
      cli(["help"]),
      cli(["check", "--help"]),
      cli(["help", "explore"]),
    ]);
    expect(top.code).toBe(0);
    for (const command of ["demo", "check", "explore", "replay"]) expect(top.stdout).toContain(command);
    expect(check.code).toBe(0);
    expect(check.stdout).toContain("--guarantee");
    expect(check.stdout).toContain("--processed-by");
    expect(explore.code).toBe(0);
    expect(explore.stdout).toContain("--out <failure.json>");
    expect(explore.stdout).toContain("--import tsx");
    for (const r of [top, check, explore]) expect(tooWide(r.stdout)).toEqual([]);
  });

  it("two bad flags: one message each, then the usage, exit 2", async () => {
    const r = await cli(["demo", "--seed", "abc", "--customers", "-5"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const messages = r.stderr.split("\n").filter((l) => l.startsWith("brokerlab demo:"));
    expect(messages).toHaveLength(2);
    expect(messages[0]).toContain("--seed");
    expect(messages[0]).not.toContain("--customers");
    expect(messages[1]).toContain("--customers");
    expect(messages[1]).not.toContain("--seed");
    expect(r.stderr).toContain("Usage: brokerlab demo");
    expect(ANSI.test(r.stderr)).toBe(false);
  });

  it("an unknown flag or command suggests the nearest, with the usage, exit 2", async () => {
    const [flag, command, choice, missing, helpTypo, bare] = await Promise.all([
      cli(["demo", "--sed", "3"]),
      cli(["chek", "h.jsonl"]),
      cli(["check", "h.jsonl", "--guarantee", "exactly-twice", "--format", "yaml"]),
      cli(["check"]),
      cli(["help", "replya"]),
      cli(["--seed", "x"]), // no command: the demo, as before there were commands
    ]);
    expect(helpTypo.code).toBe(2);
    expect(helpTypo.stderr).toMatch(/unknown command 'replya'.*replay/);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('brokerlab demo: --seed must be an integer, got "x".');
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/unknown option '--sed'.*--seed/);
    expect(flag.stderr).toContain("Usage: brokerlab demo");
    expect(command.code).toBe(2);
    expect(command.stderr).toMatch(/unknown command 'chek'.*check/);
    expect(choice.code).toBe(2);
    const lines = choice.stderr.split("\n").filter((l) => l.startsWith("brokerlab check:"));
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain("--guarantee must be one of at-most-once, at-least-once, exactly-once");
    expect(lines[1]).toContain("--format must be one of text, json, markdown");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument");
  });

  it("the demo, piped: no colour, every line within 100 columns, the confusions fixed; json parses", async () => {
    const args = ["demo", "--customers", "300", "--seeds", "4"];
    const [a, json] = await Promise.all([cli(args), cli([...args, "--format", "json"])]);
    expect(a.code, a.stderr).toBe(0);
    expect(ANSI.test(a.stdout)).toBe(false);
    expect(a.stderr).toBe(""); // no progress bar into a pipe
    expect(tooWide(a.stdout)).toEqual([]);
    expect(a.stdout).toContain("broken as predicted");
    expect(a.stdout).not.toContain("fails as expected");
    expect(a.stdout).not.toMatch(/✓ broken/);
    expect(a.stdout).toContain("(never reached)");
    expect(a.stdout).toMatch(/95 % confidence interval \d+\.\d–\d+\.\d ms/);
    expect(a.stdout).toContain("customer latency");
    expect(a.stdout).not.toContain("wall time");
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout) as {
      ok: boolean;
      kernel: { meanWaitOverSeeds: { seeds: unknown[] } };
    };
    expect(parsed.ok).toBe(true);
    expect(parsed.kernel.meanWaitOverSeeds.seeds).toHaveLength(4);
  });

  it("FORCE_COLOR colours, NO_COLOR wins over it, a pipe alone gets none", async () => {
    const path = file("twice.jsonl", TWICE);
    const args = ["check", path, "--guarantee", "exactly-once"];
    const [forced, none, both] = await Promise.all([
      cli(args, { FORCE_COLOR: "1" }),
      cli(args),
      cli(args, { FORCE_COLOR: "1", NO_COLOR: "1" }),
    ]);
    expect(ANSI.test(forced.stdout)).toBe(true);
    expect(ANSI.test(none.stdout)).toBe(false);
    expect(ANSI.test(both.stdout)).toBe(false);
    expect(forced.stdout.replace(ANSI_CODE, "")).toBe(none.stdout);
  });

  it("check: exit 0 valid, 1 invalid, 2 malformed with the coded message; json and markdown", async () => {
    const valid = file("valid.jsonl", VALID);
    const twice = file("twice2.jsonl", TWICE);
    const malformed = file(
      "malformed.jsonl",
      `${op(0, "p", "invoke", "send", { id: "m1" })}\n{"index": 1,\n`,
    );
    const unmatched = file("unmatched.jsonl", op(0, "p", "ok", "send", { id: "m1" }));
    const [ok, dup, dupJson, dupMd, bad, unpaired, absent, stdin] = await Promise.all([
      cli(["check", valid, "--guarantee", "exactly-once"]),
      cli(["check", twice, "--guarantee", "exactly-once"]),
      cli(["check", twice, "--guarantee", "exactly-once", "--format", "json"]),
      cli(["check", twice, "--guarantee", "exactly-once", "--format", "markdown"]),
      cli(["check", malformed]),
      cli(["check", unmatched]),
      cli(["check", join(tmp, "absent.jsonl")]),
      cli(["check", "-", "--guarantee", "at-least-once"], {}, TWICE),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/exactly-once .*holds/);
    expect(dup.code).toBe(1);
    expect(dup.stdout).toContain("duplicate: m1 was processed 2 times");
    expect(tooWide(dup.stdout)).toEqual([]);
    expect(dupJson.code).toBe(1);
    const result = JSON.parse(dupJson.stdout) as { valid: boolean; anomalies: { kind: string }[] };
    expect(result.valid).toBe(false);
    expect(result.anomalies.map((a) => a.kind)).toEqual(["duplicate"]);
    expect(dupMd.code).toBe(1);
    expect(dupMd.stdout).toContain("duplicate");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("INVALID_HISTORY");
    expect(bad.stderr).toContain("line 2 is not valid JSON");
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect(unpaired.code).toBe(2);
    expect(unpaired.stderr).toContain("UNMATCHED_COMPLETION");
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain("FILE_NOT_FOUND");
    expect(stdin.code).toBe(0); // duplicates are allowed under at-least-once
  });

  it("explore finds the duplicate, writes the failure; replay reproduces it with the same trace hash", async () => {
    const failure = join(tmp, "failure.json");
    const broken = join(fixtures, "ack-after-effect.mjs");
    const fixed = join(fixtures, "ack-with-effect.mjs");
    const found = await cli(["explore", broken, "--runs", "40", "--out", failure]);
    expect(found.code, found.stderr).toBe(1);
    expect(tooWide(found.stdout)).toEqual([]);
    expect(found.stdout).toContain("duplicate: job-1 was processed 2 times");
    const saved = JSON.parse(readFileSync(failure, "utf8")) as {
      seed: number;
      plan: unknown[];
      traceHash: string;
    };
    expect(saved.plan).toEqual([
      { kind: "crash", process: "worker", point: "after-charge", occurrence: 1, restartAfterMs: 0 },
    ]);
    expect(found.stdout).toContain(`trace hash ${saved.traceHash}`);
    const [again, json, nowFixed, clean] = await Promise.all([
      cli(["replay", broken, failure]),
      cli(["replay", broken, failure, "--format", "json"]),
      cli(["replay", fixed, failure]),
      cli(["explore", fixed, "--runs", "40"]),
    ]);
    expect(again.code).toBe(1);
    expect(again.stdout).toContain(`trace hash ${saved.traceHash} (the recorded one`);
    expect(again.stdout).toContain("the anomaly reproduces");
    expect(tooWide(again.stdout)).toEqual([]);
    expect(JSON.parse(json.stdout)).toMatchObject({
      reproduced: true,
      sameTrace: true,
      traceHash: saved.traceHash,
    });
    expect(nowFixed.code).toBe(0);
    expect(nowFixed.stdout).toContain("the run passes now");
    expect(clean.code).toBe(0);
    expect(clean.stdout).toContain("no counterexample in 40 runs");
  });

  it("explore and replay refuse bad input with exit 2 and a coded message", async () => {
    const notFailure = file("not-failure.json", '{"seed": "x"}');
    const notJson = file("not-json.json", "{");
    const broken = join(fixtures, "ack-after-effect.mjs");
    const [missing, noDefault, badFile, badJson, badSpace, runs] = await Promise.all([
      cli(["explore", join(fixtures, "absent.mjs")]),
      cli(["explore", join(fixtures, "no-default.mjs")]),
      cli(["replay", broken, notFailure]),
      cli(["replay", broken, notJson]),
      cli(["explore", broken, "--faults", file("space.json", '{"horizonMs": -1}')]),
      cli(["explore", broken, "--runs", "0"]),
    ]);
    expect([missing, noDefault, badFile, badJson, badSpace, runs].map((r) => r.code)).toEqual([
      2, 2, 2, 2, 2, 2,
    ]);
    expect(missing.stderr).toContain("SCENARIO_NOT_FOUND");
    expect(noDefault.stderr).toContain("SCENARIO_NOT_A_FUNCTION");
    expect(badFile.stderr).toContain("INVALID_FAILURE_FILE");
    expect(badJson.stderr).toContain("INVALID_JSON");
    expect(badSpace.stderr).toContain("INVALID_ARGUMENT");
    expect(badSpace.stderr).toContain("horizonMs");
    expect(runs.stderr).toContain("--runs must be a positive integer");
  });
});
