import type { Operation } from "./operation.js";
import { describeValue } from "./render.js";

/**
 * The minimum history → Mermaid sequence diagram this layer needs for counterexamples (issue 14's
 * renderers in src/observe replace it when they land): each process is a participant beside one
 * `broker`; an invocation is an arrow to the broker, its completion an arrow back (`-x` for fail,
 * a dotted cross for info), effects are notes over the process.
 *
 * @example
 * ```ts
 * historyToMermaid(failure.history.operations);
 * // sequenceDiagram\n  participant broker\n  participant producer\n  producer->>broker: send m1 …
 * ```
 */
export function historyToMermaid(
  ops: readonly Operation[],
  options: { maxOperations?: number } = {},
): string {
  const max = options.maxOperations ?? 80;
  const names: string[] = [];
  const alias = new Map<string, string>();
  const shown = ops.slice(0, max);
  for (const op of shown) {
    if (!alias.has(op.process)) {
      alias.set(op.process, `p${alias.size}`);
      names.push(op.process);
    }
  }
  const lines = ["sequenceDiagram", "  participant B as broker"];
  for (const name of names) lines.push(`  participant ${alias.get(name)} as ${sanitize(name)}`);
  for (const op of shown) {
    const p = alias.get(op.process)!;
    const label = sanitize(`${op.f} ${describeValue(op)}`.trim());
    if (op.f === "effect" || op.f === "crash" || op.f === "restart") {
      if (op.type !== "invoke" || op.f !== "effect")
        lines.push(`  Note over ${p}: t=${op.time} ${op.type} ${label}`);
      continue;
    }
    if (op.type === "invoke") lines.push(`  ${p}->>B: t=${op.time} ${label}`);
    else if (op.type === "ok") lines.push(`  B-->>${p}: ok ${label}`);
    else if (op.type === "fail") lines.push(`  B--x${p}: fail ${label}`);
    else lines.push(`  B--)${p}: info (unknown) ${label}`);
  }
  if (ops.length > max) lines.push(`  Note over B: … ${ops.length - max} more operations`);
  return lines.join("\n");
}

function sanitize(text: string): string {
  // Mermaid treats ; and # specially in messages.
  return text.replace(/[;#]/g, " ").replace(/\s+/g, " ");
}
