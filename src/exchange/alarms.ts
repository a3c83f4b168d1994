import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkInteger, checkOneOf } from "../scheduler/validate.js";
import type { AmqpBroker } from "./broker.js";

/**
 * A RabbitMQ resource alarm: `"memory"` (memory use above `vm_memory_high_watermark`) or
 * `"disk"` (free disk below `disk_free_limit`).
 *
 * @example
 * ```ts
 * const resource: AlarmResource = "memory";
 * broker.raiseAlarm(resource);
 * ```
 */
export type AlarmResource = "memory" | "disk";

const RESOURCES: readonly AlarmResource[] = ["memory", "disk"];

/**
 * RabbitMQ's memory monitor period (`memory_monitor_interval`, 2500 ms): how often the automatic
 * memory alarm compares queued bytes with {@link BrokerAlarms.memoryHighWatermarkBytes}.
 *
 * @example
 * ```ts
 * await sim.runFor(MEMORY_MONITOR_INTERVAL_MS); // the monitor looked once
 * ```
 */
export const MEMORY_MONITOR_INTERVAL_MS = 2500;

/** The `reason` of `connection.blocked`, as RabbitMQ words it. */
function blockedReason(alarms: ReadonlySet<AlarmResource>): string {
  return alarms.has("memory") ? "low on memory" : "low on disk";
}

function monitorTick(alarms: BrokerAlarms): void {
  alarms.monitor();
}

/**
 * A broker's resource alarms and the connection throttling they cause, as RabbitMQ 3.10's
 * `rabbit_reader` does it:
 *
 * - While any alarm is set, every connection is **blocking**: it may go on doing anything but
 *   publish. At its first publish it is **blocked** — the broker stops reading from it at that
 *   frame and sends `connection.blocked` (reason `"low on memory"` or `"low on disk"`).
 *   Connections that only consume are never blocked.
 * - A blocked connection's publishes, that first one included, are **held, not lost**: no
 *   routing, no confirm. When the last alarm clears the broker sends `connection.unblocked` and
 *   routes them, in order (RabbitMQ 3.10.8 observed: the first publish after the alarm is
 *   delivered only after `connection.unblocked`). Only publishes are held: the model lets a
 *   blocked connection's other methods (acks, declarations) through.
 * - A second alarm while blocked sends nothing new.
 *
 * The automatic memory alarm is off by default (a simulation has no RAM to measure); set
 * {@link memoryHighWatermarkBytes} and a memory monitor checks, every
 * {@link MEMORY_MONITOR_INTERVAL_MS} of virtual time (a background event), whether the bodies of
 * the messages in all queues (ready ones, as measured by the broker's sizer) exceed it.
 *
 * @example
 * ```ts
 * broker.raiseAlarm("memory");
 * channel.sendToQueue("jobs", "a"); // held; the connection is now blocked
 * broker.clearAlarm("memory"); // connection.unblocked; "a" is routed
 * ```
 */
export class BrokerAlarms {
  private readonly active = new Set<AlarmResource>();
  private watermark: number | null = null;
  private monitorTimer = -1;
  /** True while the automatic memory alarm (not an explicit raise) holds the memory alarm. */
  private automatic = false;

  constructor(private readonly broker: AmqpBroker) {}

  /** The alarms in effect. */
  get resources(): AlarmResource[] {
    return [...this.active];
  }

  /** True while any alarm is in effect. */
  get any(): boolean {
    return this.active.size > 0;
  }

  /** The automatic memory alarm's threshold in bytes, or null (off, the default). */
  get memoryHighWatermarkBytes(): number | null {
    return this.watermark;
  }

  /** Raises an alarm: connections block when they next publish. Idempotent. */
  raise(resource: AlarmResource, where = "AmqpBroker.raiseAlarm"): void {
    checkOneOf(resource, RESOURCES, "resource", where);
    if (resource === "memory") this.automatic = false;
    this.set(resource);
  }

  /** Clears an alarm; when none is left, blocked connections are unblocked. Idempotent. */
  clear(resource: AlarmResource, where = "AmqpBroker.clearAlarm"): void {
    checkOneOf(resource, RESOURCES, "resource", where);
    if (resource === "memory") this.automatic = false;
    this.unset(resource);
  }

  /** Sets (or with null, turns off) the automatic memory alarm's threshold. */
  setMemoryHighWatermark(bytes: number | null, where = "AmqpBroker.setMemoryHighWatermark"): void {
    if (bytes !== null) {
      if (typeof bytes !== "number") {
        throw new InvalidArgumentError(
          `${where}: bytes must be a positive integer or null (off), got ${typeof bytes}.`,
          "INVALID_ARGUMENT",
        );
      }
      checkInteger(bytes, "bytes", where, 1);
    }
    this.watermark = bytes;
    const sim = this.broker.sim;
    if (bytes === null) {
      if (this.monitorTimer >= 0) sim.cancel(this.monitorTimer);
      this.monitorTimer = -1;
      if (this.automatic) {
        this.automatic = false;
        this.unset("memory");
      }
      return;
    }
    if (this.monitorTimer < 0) this.armMonitor();
  }

  /** @internal The memory monitor's tick: compare queued bytes with the watermark. */
  monitor(): void {
    this.monitorTimer = -1;
    const limit = this.watermark;
    if (limit === null) return;
    const used = this.broker.queuedBytes();
    if (used > limit && !this.active.has("memory")) {
      this.automatic = true;
      this.set("memory");
    } else if (used <= limit && this.automatic) {
      this.automatic = false;
      this.unset("memory");
    }
    this.armMonitor();
  }

  private armMonitor(): void {
    const sim = this.broker.sim;
    this.monitorTimer = sim.scheduleBackground(sim.now + MEMORY_MONITOR_INTERVAL_MS, monitorTick, this);
  }

  /** @internal The reason a connection blocked now is given. */
  get reason(): string {
    return blockedReason(this.active);
  }

  private set(resource: AlarmResource): void {
    if (this.active.has(resource)) return;
    const first = this.active.size === 0;
    this.active.add(resource);
    if (!first) return;
    for (const connection of this.broker.connectionMap.values()) connection.alarmRaised();
  }

  private unset(resource: AlarmResource): void {
    if (!this.active.delete(resource)) return;
    if (this.active.size > 0) return;
    for (const connection of [...this.broker.connectionMap.values()]) connection.alarmCleared();
  }
}
