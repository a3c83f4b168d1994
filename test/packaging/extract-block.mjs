// Prints the body of the first fenced code block in <markdown file> whose info string contains
// <text> (e.g. "a jest configuration file"), so scripts/packaging-check.sh runs the docs' own
// configuration blocks verbatim. Exits 1 when there is no such block.
import { readFileSync } from "node:fs";

const [file, text] = process.argv.slice(2);
const lines = readFileSync(file, "utf8").split("\n");
const start = lines.findIndex((line) => line.startsWith("```") && line.includes(text));
if (start < 0) {
  console.error(`extract-block: no code block in ${file} whose info string contains "${text}"`);
  process.exit(1);
}
const end = lines.findIndex((line, i) => i > start && line.startsWith("```"));
process.stdout.write(`${lines.slice(start + 1, end).join("\n")}\n`);
