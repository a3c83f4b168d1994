#!/usr/bin/env node
// Development aid, not part of CI (CI reaches no GitHub): compiles kafkajs' own type tests
// (types/tests.ts of a kafkajs checkout; the npm package does not ship them) against
// brokerlab/kafkajs's declarations, with the compiler settings kafkajs checks them with
// (test/compat/kafkajs/types/tsconfig.json). The file is read from the checkout, its one import of
// "./index" pointed at "brokerlab/kafkajs", written to test/compat/kafkajs/types/.kafkajs-tests.ts
// (git-ignored, deleted afterwards) and type-checked. CI's own check of the same surface is
// test/compat/kafkajs/type-compat.ts (part of `npm run typecheck`).
//
//   node scripts/kafkajs-type-tests.mjs <kafkajs checkout, or its git directory>
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = process.argv[2];
if (source === undefined) {
  console.error("usage: node scripts/kafkajs-type-tests.mjs <kafkajs checkout or git directory>");
  process.exit(2);
}
const text = existsSync(join(source, "types", "tests.ts"))
  ? readFileSync(join(source, "types", "tests.ts"), "utf8")
  : execFileSync("git", ["--git-dir", source, "show", "HEAD:types/tests.ts"], { encoding: "utf8" });
const rewritten = text.replace(/from ['"]\.\/index['"]/g, 'from "brokerlab/kafkajs"');
if (rewritten === text) {
  console.error("kafkajs-type-tests: found no import of './index' to point at brokerlab/kafkajs");
  process.exit(2);
}
const target = join(root, "test", "compat", "kafkajs", "types", ".kafkajs-tests.ts");
writeFileSync(target, rewritten);
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
try {
  execFileSync(process.execPath, [tsc, "-p", join(root, "test", "compat", "kafkajs", "types")], {
    stdio: "inherit",
  });
  console.log(
    `kafkajs' types/tests.ts (${text.split("\n").length} lines) compiles against brokerlab/kafkajs`,
  );
} catch {
  process.exitCode = 1;
} finally {
  rmSync(target, { force: true });
}
