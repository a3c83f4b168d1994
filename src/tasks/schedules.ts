import { CronSchedule } from "../scheduler/cron-schedule.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkOptions, checkPositive } from "../scheduler/validate.js";

/** One crontab field: `"*"`, a number, a list / range / step string (`"1,15"`, `"1-5"`, `"*\/15"`), or numbers. */
export type CrontabField = string | number | readonly number[];

/**
 * Fields of {@link crontab}, Celery's names in camelCase; each defaults to `"*"`.
 *
 * @example
 * ```ts
 * const nightly: CrontabFields = { minute: 0, hour: 2 };
 * ```
 */
export interface CrontabFields {
  minute?: CrontabField;
  hour?: CrontabField;
  /** 0–6 with Sunday = 0, or names (`"mon-fri"`). */
  dayOfWeek?: CrontabField;
  dayOfMonth?: CrontabField;
  monthOfYear?: CrontabField;
}

/**
 * When a beat entry runs: a {@link crontab} or an {@link every} interval.
 *
 * @example
 * ```ts
 * const schedule: Schedule = every(60_000);
 * ```
 */
export type Schedule = CrontabSchedule | IntervalSchedule;

/**
 * A crontab schedule. `nextAfter(t)` gives the first matching minute strictly after `t`.
 *
 * @example
 * ```ts
 * crontab({ minute: 0, hour: 2 }).nextAfter(0); // 7_200_000
 * ```
 */
export interface CrontabSchedule {
  readonly kind: "crontab";
  /** The five-field cron expression it compiles to (minute hour day-of-month month day-of-week). */
  readonly expression: string;
  nextAfter(timeMs: number): number | null;
}

/**
 * A fixed interval: due once `everyMs` passed since the last actual run (drift accumulates).
 *
 * @example
 * ```ts
 * every(30_000).everyMs; // 30000
 * ```
 */
export interface IntervalSchedule {
  readonly kind: "interval";
  readonly everyMs: number;
}

const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const MONTH_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

interface FieldSpec {
  name: keyof CrontabFields;
  min: number;
  max: number;
  names: readonly string[] | null;
  nameBase: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: "minute", min: 0, max: 59, names: null, nameBase: 0 },
  { name: "hour", min: 0, max: 23, names: null, nameBase: 0 },
  { name: "dayOfMonth", min: 1, max: 31, names: null, nameBase: 0 },
  { name: "monthOfYear", min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: "dayOfWeek", min: 0, max: 6, names: DAY_NAMES, nameBase: 0 },
];

function bad(spec: FieldSpec, value: unknown, why: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `crontab: invalid ${spec.name} ${JSON.stringify(value)}: ${why}. Use "*", a number in [${spec.min}, ${spec.max}]${
      spec.names ? ` or a name (${spec.names.slice(0, 3).join(", ")}…)` : ""
    }, a list "1,15", a range "1-5" or a step "*/15".`,
    "INVALID_CRONTAB",
    { field: spec.name, value },
  );
}

function atom(spec: FieldSpec, text: string, whole: unknown): number {
  const lower = text.toLowerCase();
  if (spec.names !== null) {
    const index = spec.names.indexOf(lower);
    if (index >= 0) return index + spec.nameBase;
  }
  if (!/^\d+$/.test(text)) throw bad(spec, whole, `${JSON.stringify(text)} is not a number`);
  const n = Number(text);
  // Celery accepts 7 as Sunday too.
  if (spec.name === "dayOfWeek" && n === 7) return 0;
  if (n < spec.min || n > spec.max) throw bad(spec, whole, `${n} is out of range`);
  return n;
}

/** Expands one field to its sorted set of values. */
function expand(spec: FieldSpec, value: CrontabField | undefined): number[] | null {
  if (value === undefined || value === "*") return null;
  const out = new Set<number>();
  if (typeof value === "number" || Array.isArray(value)) {
    const list = typeof value === "number" ? [value] : (value as readonly number[]);
    if (list.length === 0) throw bad(spec, value, "the list is empty");
    for (const n of list) {
      if (typeof n !== "number" || !Number.isInteger(n)) throw bad(spec, value, "not an integer");
      out.add(atom(spec, String(n), value));
    }
    return [...out].sort((a, b) => a - b);
  }
  if (typeof value !== "string" || value.trim() === "") throw bad(spec, value, "not a field");
  for (const part of value.split(",")) {
    const [range, stepText, extra] = part.trim().split("/");
    if (extra !== undefined || range === undefined || range === "") throw bad(spec, value, "malformed step");
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw bad(spec, value, "the step must be ≥ 1");
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === "*") {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes("-")) {
      const [a, b, more] = range.split("-");
      if (more !== undefined || a === undefined || b === undefined) throw bad(spec, value, "malformed range");
      lo = atom(spec, a, value);
      hi = atom(spec, b, value);
      if (hi < lo) throw bad(spec, value, "the range runs backwards");
    } else {
      lo = atom(spec, range, value);
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let n = lo; n <= hi; n += step) out.add(n);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Celery's `crontab(minute, hour, day_of_week, day_of_month, month_of_year)` in UTC: a minute
 * fires when every field matches — the day fields are AND-ed (Vixie cron would OR a restricted
 * day-of-month with a restricted day-of-week). Sunday = 0. Fields are validated here, before
 * anything is scheduled.
 *
 * @example
 * ```ts
 * crontab({ minute: 0, hour: 2 });                       // 02:00 every day
 * crontab({ minute: "*\/15", hour: "9-17", dayOfWeek: "mon-fri" });
 * crontab({ minute: 0, hour: 0, dayOfMonth: 13, dayOfWeek: 5 }); // only Friday the 13th
 * ```
 */
export function crontab(fields: CrontabFields = {}): CrontabSchedule {
  checkOptions(fields, ["minute", "hour", "dayOfWeek", "dayOfMonth", "monthOfYear"], "crontab");
  const parts = FIELDS.map((spec) => {
    const values = expand(spec, fields[spec.name]);
    return values === null ? "*" : values.join(",");
  });
  const expression = parts.join(" ");
  const cron = new CronSchedule(expression, { dayFields: "and", tz: "UTC" });
  return {
    kind: "crontab",
    expression,
    nextAfter: (timeMs: number) => cron.nextAfter(timeMs),
  };
}

/**
 * A fixed-interval schedule (Celery's `schedule(run_every)`, BullMQ's `every`).
 *
 * @example
 * ```ts
 * app.beat().add("heartbeat", ping.s(), every(30_000));
 * ```
 */
export function every(everyMs: number): IntervalSchedule {
  checkPositive(everyMs, "everyMs", "every");
  if (!Number.isFinite(everyMs))
    throw new InvalidArgumentError("every: everyMs must be finite.", "INVALID_SCHEDULE");
  return { kind: "interval", everyMs };
}
