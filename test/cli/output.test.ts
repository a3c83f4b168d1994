import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { colorEnabled, fitText, jsLiteral, paragraph, visibleWidth, writer } from "../../src/cli/output.js";
import { NO_PROGRESS, PROGRESS_DELAY_MS, startProgress } from "../../src/cli/progress.js";

const words = fc.array(
  fc.oneof(
    fc.string({ unit: fc.constantFrom("a", "b", "x", "-", "é", "—"), minLength: 1, maxLength: 12 }),
    fc.string({ unit: fc.constantFrom("z", "#", "@"), minLength: 30, maxLength: 140 }), // longer than a line
  ),
  { maxLength: 60 },
);

describe("fitting text to a width", () => {
  it("every line fits, and no word or character is lost or reordered", () => {
    fc.assert(
      fc.property(words, fc.nat({ max: 8 }), fc.integer({ min: 20, max: 120 }), (ws, indent, width) => {
        const line = " ".repeat(indent) + ws.join(" ");
        const fitted = fitText(line, width);
        for (const l of fitted.split("\n")) expect(visibleWidth(l)).toBeLessThanOrEqual(width);
        expect(fitted.replace(/\s+/g, "")).toBe(line.replace(/\s+/g, ""));
      }),
      { numRuns: 300 },
    );
  });

  it("short lines are left alone; continuation lines hang under the text; prose keeps its indent", () => {
    expect(fitText("short line\n  another", 20)).toBe("short line\n  another");
    expect(fitText("  one two three four", 12)).toBe("  one two\n      three\n      four");
    expect(paragraph("  one two three four", 12)).toBe("  one two\n  three four");
  });

  it("colour codes take no columns", () => {
    const red = "\x1b[31mred\x1b[39m";
    expect(visibleWidth(red)).toBe(3);
    expect(fitText(`${red} ${red}`, 7)).toBe(`${red} ${red}`);
  });
});

describe("JavaScript literals for replay code", () => {
  const json = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small" },
      fc.integer(),
      fc.string({ maxLength: 30 }),
      fc.boolean(),
      fc.constant(null),
      fc.array(tie("value"), { maxLength: 4 }),
      fc.dictionary(fc.string({ minLength: 1, maxLength: 14 }), tie("value"), { maxKeys: 5 }),
    ),
  })).value;

  it("evaluate back to the value, and lines stay within the width when they can", () => {
    fc.assert(
      fc.property(json, (value) => {
        const text = jsLiteral(value, 2, 25);
        expect(new Function(`return (${text});`)()).toEqual(value);
      }),
      // An own "__proto__" key (a literal would set the prototype instead): found by this property.
      {
        numRuns: 300,
        examples: [[JSON.parse('{"__proto__": []}')], [JSON.parse('{"a": {"__proto__": 1}}')]],
      },
    );
    const plan = [
      { kind: "crash", process: "billing", point: "after-charge", occurrence: 1, restartAfterMs: 0 },
    ];
    const text = `    await replay(scenario, ${jsLiteral({ seed: 0, plan }, 4, 27)})`;
    for (const line of text.split("\n")) expect(line.length).toBeLessThanOrEqual(100);
    expect(jsLiteral({ seed: 0, plan: [] })).toBe("{ seed: 0, plan: [] }");
  });
});

describe("colour decisions", () => {
  it("a terminal gets colour, a pipe none; NO_COLOR wins; FORCE_COLOR forces; TERM=dumb none", () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({ isTTY: false }, { CI: "true" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: "" })).toBe(true); // empty: not set, per no-color.org
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(colorEnabled({ isTTY: true }, { FORCE_COLOR: "0" })).toBe(false);
    expect(colorEnabled({ isTTY: false }, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: "dumb" })).toBe(false);
  });

  it("json and markdown are never coloured, text is fitted", () => {
    let written = "";
    const stream = { isTTY: true, write: (s: string) => (written += s) };
    writer(stream, { FORCE_COLOR: "1" }, "json").line(writer(stream, {}, "json").color.red("x"));
    expect(written).toBe("x\n");
    written = "";
    writer(stream, {}, "text").line("word ".repeat(30).trim());
    expect(written.split("\n").every((l) => l.length <= 100)).toBe(true);
    expect(written.split("\n").length).toBe(3); // two lines and the final newline
  });
});

describe("progress", () => {
  it("nothing on a stream that is not a terminal", () => {
    expect(startProgress({ isTTY: false, write: () => true }, "runs", 10)).toBe(NO_PROGRESS);
  });

  it("on a terminal: nothing during the first second, then a bar with an ETA, cleared at the end", async () => {
    let written = "";
    const tty = {
      isTTY: true,
      columns: 100,
      write(s: string) {
        written += s;
        return true;
      },
    };
    const progress = startProgress(tty, "runs", 10);
    progress.update(1);
    expect(written).toBe("");
    await new Promise((resolve) => setTimeout(resolve, PROGRESS_DELAY_MS + 50));
    progress.update(5);
    expect(written).toContain("ETA");
    expect(written).toContain("5/10 runs");
    const before = written.length;
    progress.stop();
    expect(written.length).toBeGreaterThan(before); // clearOnComplete erased the line
  });
});
