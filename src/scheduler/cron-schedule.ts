import { Cron } from "croner";
import { InvalidArgumentError } from "./errors.js";
import { checkFinite, checkOneOf, checkOptions, checkString } from "./validate.js";

/** How the day-of-month and day-of-week fields combine when both are restricted. */
export type DayFieldLogic = "or" | "and";

/** Options of {@link CronSchedule}. */
export interface CronScheduleOptions {
  /** IANA time zone the expression is read in. Default `"UTC"` (virtual time starts at the epoch, in UTC). */
  tz?: string;
  /**
   * `"or"` (default): classic cron — when both day fields are restricted, a day matching either
   * fires. `"and"`: Celery's `crontab` — a day must match both.
   */
  dayFields?: DayFieldLogic;
}

/**
 * A parsed cron expression that computes fire times from a given instant, never from the wall
 * clock. Five fields (`minute hour day-of-month month day-of-week`) or six with seconds first;
 * names (`MON`, `JAN`), ranges, steps and lists as in Vixie cron. Parsing and time-zone arithmetic
 * come from `croner`; we only ever ask it for "the next match after this instant".
 *
 * @example
 * ```ts
 * const nightly = new CronSchedule("0 2 * * *");
 * nightly.nextAfter(0); // 7_200_000: 1970-01-01T02:00:00Z
 * ```
 */
export class CronSchedule {
  /** The expression as given. */
  readonly expression: string;
  /** Time zone the expression is read in. */
  readonly tz: string;
  /** Day-field logic. */
  readonly dayFields: DayFieldLogic;
  private readonly cron: Cron;

  constructor(expression: string, options: CronScheduleOptions = {}) {
    checkString(expression, "expression", "CronSchedule", true);
    checkOptions(options, ["tz", "dayFields"], "CronSchedule");
    const tz = options.tz ?? "UTC";
    checkString(tz, "tz", "CronSchedule", true);
    const dayFields = options.dayFields ?? "or";
    checkOneOf(dayFields, ["or", "and"], "dayFields", "CronSchedule");
    try {
      // No callback: croner arms no timer; we only use its pattern arithmetic.
      this.cron = new Cron(expression, { timezone: tz, domAndDow: dayFields === "and", paused: true });
      // Probe once so that an invalid time zone fails here, not at the first fire.
      this.cron.nextRun(new Date(0));
    } catch (error) {
      throw new InvalidArgumentError(
        `CronSchedule: invalid cron expression ${JSON.stringify(expression)} (tz ${JSON.stringify(tz)}): ${
          (error as Error).message
        }. Use five fields "minute hour day-of-month month day-of-week", e.g. "0 2 * * *".`,
        "INVALID_CRON",
        { expression, tz },
      );
    }
    this.expression = expression;
    this.tz = tz;
    this.dayFields = dayFields;
  }

  /** The first fire time strictly after `timeMs` (virtual epoch milliseconds), or null when none is left. */
  nextAfter(timeMs: number): number | null {
    checkFinite(timeMs, "timeMs", "CronSchedule.nextAfter");
    const next = this.cron.nextRun(new Date(timeMs));
    return next === null ? null : next.getTime();
  }
}
