/**
 * Formats a virtual time for a worker log line: `[HH:MM:SS.mmm]` in UTC, with the date in front
 * once the run has left its first day, so a month-long beat log stays readable.
 *
 * @example
 * ```ts
 * logTime(7_200_000, 0); // "[02:00:00.000]"
 * logTime(86_400_000 + 7_200_000, 0); // "[1970-01-02 02:00:00.000]"
 * ```
 */
export function logTime(nowMs: number, startMs: number): string {
  const iso = new Date(nowMs).toISOString();
  const time = iso.slice(11, 23);
  const sameDay = Math.floor(nowMs / 86_400_000) === Math.floor(startMs / 86_400_000);
  return sameDay ? `[${time}]` : `[${iso.slice(0, 10)} ${time}]`;
}

/**
 * A task result as the log shows it (Celery logs the repr).
 *
 * @example
 * ```ts
 * reprValue({ url: "cdn/1.mp4" }); // '{"url":"cdn/1.mp4"}'
 * ```
 */
export function reprValue(value: unknown): string {
  if (value === undefined) return "None";
  if (typeof value === "string") return `'${value}'`;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    return String(value);
  }
}

/**
 * Seconds with three decimals, as Celery's "succeeded in 1.200s".
 *
 * @example
 * ```ts
 * seconds(1200); // "1.200s"
 * ```
 */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`;
}
