import { asJson, type Scenario, withSession } from "../harness.js";

/** Binding arguments per queue; `null` is sent as a void field, `{"!": type}` forces a wire type. */
export const HEADERS_BINDINGS: Readonly<Record<string, Record<string, unknown>>> = {
  "implicit-all": { a: 1, b: "x" },
  all: { "x-match": "all", a: 1, b: "x" },
  any: { "x-match": "any", a: 1, b: "x" },
  "all-with-x": { "x-match": "all-with-x", "x-k": "v", a: 1 },
  "any-with-x": { "x-match": "any-with-x", "x-k": "v", a: 2 },
  "all-only-x-args": { "x-match": "all", "x-k": "v" },
  "any-only-x-args": { "x-match": "any", "x-k": "v" },
  "all-empty": {},
  "any-empty": { "x-match": "any" },
  "all-with-x-empty": { "x-match": "all-with-x" },
  "any-with-x-empty": { "x-match": "any-with-x" },
  "all-void": { "x-match": "all", p: null },
  "any-void": { "x-match": "any", p: null, q: "z" },
  "string-1": { s: "1" },
  "number-1": { s: 1 },
  "double-1.5": { f: 1.5 },
  "int-1": { n: 1 },
  "bool-true": { flag: true },
};

/** Message headers, published in this order (index = message number). */
export const HEADERS_MESSAGES: ReadonlyArray<Record<string, unknown> | undefined> = [
  undefined,
  { a: 1, b: "x" },
  { a: 1 },
  { b: "x" },
  { a: "1", b: "x" },
  { a: 1, b: "x", "x-k": "v" },
  { "x-k": "v" },
  { a: 2, "x-k": "v" },
  { a: 2 },
  { p: "anything" },
  { p: null },
  { q: "z" },
  { s: 1 },
  { s: "1" },
  { f: 1.5 },
  { f: { "!": "float", value: 1.5 } },
  { n: 1 },
  { n: { "!": "long", value: 1 } },
  { n: { "!": "double", value: 1 } },
  { n: { "!": "unsignedbyte", value: 1 } },
  { flag: true },
  { flag: "true" },
  { a: 1, b: "x", extra: "y" },
  { a: 1, b: "y" },
  { "x-match": "any", a: 1 },
];

/**
 * Headers exchange in all four `x-match` modes, with `x-` arguments, void arguments, string vs
 * number, integer vs double, and an invalid `x-match` (406).
 */
export const headersExchange: Scenario = {
  name: "headers-exchange",
  description: `${Object.keys(HEADERS_BINDINGS).length} headers bindings x ${HEADERS_MESSAGES.length} header sets`,
  run: (ctx) =>
    withSession(ctx, async (s) => {
      const exchange = await s.exchange("headers", "headers", { durable: false });
      const queues = new Map<string, string>();
      for (const [label, args] of Object.entries(HEADERS_BINDINGS)) {
        const queue = await s.queue(`headers.${label}`, { durable: false });
        await s.bindQueue(queue, exchange, "ignored-key", args);
        queues.set(label, queue);
      }
      const pub = await s.confirmChannel();
      HEADERS_MESSAGES.forEach((headers, index) => {
        pub.publish(exchange, "any-key", `h${index}`, headers ? { headers } : {});
      });
      await pub.settled();

      const matchedBy: string[][] = HEADERS_MESSAGES.map(() => []);
      for (const [label, queue] of queues) {
        for (const msg of await s.drain(queue)) matchedBy[Number(msg.content.slice(1))]!.push(label);
      }
      const invalidXMatch = await s.expectChannelError(async (ch) => {
        const queue = await s.queue("headers.invalid", { durable: false });
        await ch.raw.bindQueue(queue, exchange, "", { "x-match": "bogus", a: 1 });
      });
      return {
        bindings: asJson(HEADERS_BINDINGS),
        matrix: HEADERS_MESSAGES.map((headers, index) => ({
          headers: asJson(headers),
          matchedBindings: matchedBy[index]!,
        })),
        confirms: pub.confirms,
        invalidXMatch,
      };
    }),
};
