import { describeValue } from "../scheduler/describe-value.js";
import { InvalidArgumentError } from "../scheduler/errors.js";
import { checkFunction, checkNonNegative } from "../scheduler/validate.js";

/**
 * The AMQP request seam: every request an AMQP client (a native {@link AmqpChannel}, and so the
 * amqplib facade built on it) sends to the broker, and the publisher confirms the broker sends
 * back, pass one fault hook, as the log's requests pass its `Network`. With no hook installed the
 * seam costs one check per request.
 *
 * What each decision does, as a real client would see it:
 *
 * - `publish` (basic.publish). `drop-request`: the message is lost — the broker never routes it;
 *   in confirm mode its sequence number is used up and its confirm never arrives (the publisher's
 *   callback and `waitForConfirms` wait until the channel or connection closes, which then fails
 *   them, as amqplib does; amqplib has no confirm timeout of its own). `drop-response`: the
 *   broker routes the message but its confirm is lost (outside confirm mode nothing shows).
 *   `delay`: the broker receives it `delayRequestMs` later; the channel's later publishes wait
 *   behind it (one channel's publishes stay in order), and a broker refusal (404, 403, 406)
 *   closes the channel then, as an asynchronous channel error. `delayResponseMs` delays the confirm.
 * - `confirm` (basic.ack / basic.nack to a confirm channel). Either drop loses the confirm; a
 *   delay delivers it later.
 * - `ack` (basic.ack, basic.nack, basic.reject, and `ackAll`/`nackAll`). `drop-request`: the
 *   broker never hears it — the message stays unacked (holding prefetch) and is redelivered,
 *   `redelivered = true`, when the channel or connection goes. `drop-response`: settling has no
 *   response in AMQP, so it is delivered normally. `delay`: settled `delayRequestMs` later (an
 *   unknown tag then closes the channel asynchronously, 406).
 * - `basic.get`. The native `get` is synchronous, so: `drop-request` returns null and takes
 *   nothing; `drop-response` takes the message (unacked on the channel — redelivered when the
 *   channel goes — or, with `noAck`, gone) and returns null; a delay cannot stretch a synchronous
 *   call and is ignored by `get`. {@link AmqpChannel.getAsync} honours all three exactly: a lost
 *   request or reply never settles (until the channel closes: then it rejects), a delay settles
 *   later. The amqplib facade's `channel.get` goes through `getAsync`.
 * - `deliver` (basic.deliver, broker → consumer; the broker has already made the delivery: it is
 *   unacked on the channel, holding prefetch). Either drop loses the frame: the consumer's handler
 *   never sees it, and it stays unacked until the channel or connection closes, then is requeued
 *   and redelivered (`redelivered = true`). A delay hands it to the handler later; a channel's
 *   later deliveries wait behind it (they keep their order). Held deliveries of a channel that
 *   closes meanwhile are never handed over (they were requeued with the channel's unacked).
 * - `connect` (connection.open). Either drop refuses the connection: `broker.connect` throws a
 *   `CONNECTION_REFUSED` `BrokerlabError` (the amqplib facade's `connect` rejects with it,
 *   as with `BROKER_DOWN` while the broker restarts). A synchronous connect cannot wait, so a
 *   delay is ignored.
 *
 * Partitions and broker restarts are broker operations the fault layer schedules:
 * `broker.heartbeatTimeout(client, since)` and `broker.restart({ downMs })`; for the window of a
 * partition the fault layer's hook holds the client's requests, its confirms and deliveries until
 * the window ends (a `delayRequestMs` up to then) and refuses its connects.
 *
 * @example
 * ```ts
 * // The first ack of every consumer is lost: the message stays unacked until the channel closes.
 * const seen = new Set<number>();
 * broker.network.setFaultHook((r) =>
 *   r.kind === "ack" && !seen.has(r.channel) && seen.add(r.channel) ? "drop-request" : undefined,
 * );
 * ```
 */

/** The requests (and broker → client frames: `confirm`, `deliver`) the hook sees. */
export type AmqpRequestKind = "publish" | "confirm" | "ack" | "basic.get" | "deliver" | "connect";

/** What the hook is told about a request. */
export interface AmqpRequestInfo {
  readonly kind: AmqpRequestKind;
  /** Unique per broker, increasing. */
  readonly requestId: number;
  /** The connection's name (the amqplib facade: `clientProperties.connection_name`). */
  readonly clientId: string;
  /** Connection id (0 for `connect`: none yet). */
  readonly connection: number;
  /** Channel id (broker-wide; 0 for `connect`). */
  readonly channel: number;
  /** Virtual send time. */
  readonly sentAt: number;
  /** publish: the exchange and routing key. */
  readonly exchange?: string;
  readonly routingKey?: string;
  /** publish in confirm mode, confirm: the publish sequence number. */
  readonly seq?: number;
  /** confirm: true for basic.ack, false for basic.nack. */
  readonly ack?: boolean;
  /** ack: which method settles, and its arguments (deliver: the delivery's tag). */
  readonly method?: "ack" | "nack" | "reject";
  readonly deliveryTag?: number;
  readonly multiple?: boolean;
  /** basic.get, deliver: the queue. */
  readonly queue?: string;
  /** deliver: the consumer's tag. */
  readonly consumerTag?: string;
}

/**
 * What to do with a request: `"deliver"`, `"drop-request"`, `"drop-response"`, or delays (and a
 * drop) as an object — the same shapes as the log's `FaultDecision`.
 */
export type AmqpFaultDecision =
  | "deliver"
  | "drop-request"
  | "drop-response"
  | {
      readonly delayRequestMs?: number;
      readonly delayResponseMs?: number;
      readonly drop?: "request" | "response";
    };

/** Decides the fate of a request; return nothing to deliver it normally. */
export type AmqpFaultHook = (request: AmqpRequestInfo) => AmqpFaultDecision | undefined | null;

/** @internal A decision in normal form. */
export interface ResolvedAmqpFault {
  readonly requestDelayMs: number;
  readonly responseDelayMs: number;
  readonly dropRequest: boolean;
  readonly dropResponse: boolean;
}

/** @internal Deliver normally. */
export const DELIVER: ResolvedAmqpFault = Object.freeze({
  requestDelayMs: 0,
  responseDelayMs: 0,
  dropRequest: false,
  dropResponse: false,
});
const DROP_REQUEST: ResolvedAmqpFault = Object.freeze({ ...DELIVER, dropRequest: true });
const DROP_RESPONSE: ResolvedAmqpFault = Object.freeze({ ...DELIVER, dropResponse: true });

/**
 * Fault injection for one broker's clients (see the module comment).
 *
 * @example
 * ```ts
 * broker.network.setFaultHook((r) => (r.kind === "publish" ? { delayRequestMs: 50 } : undefined));
 * broker.network.setFaultHook(null); // back to normal
 * ```
 */
export class AmqpNetwork {
  /** @internal The hook, or null (the hot paths test this). */
  hook: AmqpFaultHook | null = null;
  private nextId = 1;

  /** Installs (or with null removes) the fault hook. */
  setFaultHook(hook: AmqpFaultHook | null): void {
    if (hook !== null) checkFunction(hook, "hook", "AmqpNetwork.setFaultHook");
    this.hook = hook;
  }

  /** True when a fault hook is installed. */
  get hasFaultHook(): boolean {
    return this.hook !== null;
  }

  /** @internal A fresh request id. */
  requestId(): number {
    return this.nextId++;
  }

  /** @internal Asks the hook about a request (call only when {@link hook} is set). */
  decide(info: AmqpRequestInfo): ResolvedAmqpFault {
    const hook = this.hook;
    if (hook === null) return DELIVER;
    const decision = hook(info);
    if (decision === undefined || decision === null || decision === "deliver") return DELIVER;
    if (decision === "drop-request") return DROP_REQUEST;
    if (decision === "drop-response") return DROP_RESPONSE;
    if (typeof decision !== "object") {
      throw new InvalidArgumentError(
        `AmqpNetwork fault hook returned ${describeValue(decision)}; expected "deliver", "drop-request", "drop-response" or { delayRequestMs, delayResponseMs, drop }.`,
      );
    }
    const requestDelayMs = decision.delayRequestMs ?? 0;
    const responseDelayMs = decision.delayResponseMs ?? 0;
    checkNonNegative(requestDelayMs, "delayRequestMs", "AmqpNetwork fault hook");
    checkNonNegative(responseDelayMs, "delayResponseMs", "AmqpNetwork fault hook");
    return {
      requestDelayMs,
      responseDelayMs,
      dropRequest: decision.drop === "request",
      dropResponse: decision.drop === "response",
    };
  }
}
