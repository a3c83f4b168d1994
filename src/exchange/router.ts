import type { AmqpQueue } from "./amqp-queue.js";
import type { Destination, Exchange, RouteCollector } from "./exchange.js";

/**
 * Walks the exchange graph for one publish, as RabbitMQ's `rabbit_exchange:route/2` does:
 *
 * - a work list starts at the published-to exchange; each exchange routes the message by its own
 *   type and every routing key (the routing key, then `CC` and `BCC` keys);
 * - queues reached are collected once each, however many paths lead to them;
 * - exchanges reached through exchange-to-exchange bindings join the work list, each at most once
 *   per walk, so binding cycles are harmless;
 * - an exchange whose own bindings match nothing (no queue and no exchange) hands the message to
 *   its alternate exchange, if that exists and was not visited yet; routing through an alternate
 *   exchange counts as routed;
 * - the default exchange routes each key to the queue of that name and has no alternate exchange.
 *
 * Deduplication uses a per-walk stamp stored on each queue and exchange, and the output array is
 * reused, so routing allocates nothing of its own. The walk never re-enters itself: enqueueing
 * what it found may dead-letter, but dead-letters are routed later by the broker.
 *
 * @example
 * ```ts
 * const router = new Router(exchanges);
 * const count = router.route(exchanges.get("orders")!, "eu.created", null, undefined);
 * router.queues.slice(0, count); // the queues to enqueue into
 * ```
 */
export class Router implements RouteCollector {
  /** The current walk's stamp; bumped per walk. */
  stamp = 0;
  /** Queues reached by the last walk, in discovery order (reused: copy it to keep it). */
  readonly queues: AmqpQueue[] = [];
  private readonly work: Exchange[] = [];
  private readonly exchanges: ReadonlyMap<string, Exchange>;

  /** @param exchanges every exchange, by name (alternate exchanges are looked up by name at routing time). */
  constructor(exchanges: ReadonlyMap<string, Exchange>) {
    this.exchanges = exchanges;
  }

  /** @internal Called by exchanges for each destination a binding matched. */
  hit(destination: Destination): void {
    if (destination.routeStamp === this.stamp) return;
    destination.routeStamp = this.stamp;
    if (destination.isQueue) this.queues.push(destination);
    else this.work.push(destination);
  }

  /**
   * Routes from `exchange` with `routingKey` (plus `extraKeys`) and `headers`; fills
   * {@link queues} and returns their count.
   */
  route(
    exchange: Exchange,
    routingKey: string,
    extraKeys: readonly string[] | null,
    headers: Record<string, unknown> | undefined,
  ): number {
    const stamp = ++this.stamp;
    const queues = this.queues;
    const work = this.work;
    queues.length = 0;
    exchange.routeStamp = stamp;
    work.push(exchange);
    while (work.length > 0) {
      const current = work.pop()!;
      let found = current.route(routingKey, headers, this);
      if (extraKeys !== null && !current.ignoresKeys) {
        for (let i = 0; i < extraKeys.length; i++) found += current.route(extraKeys[i]!, headers, this);
      }
      if (found === 0 && current.alternateExchange !== null && !current.isDefault) {
        const alternate = this.exchanges.get(current.alternateExchange);
        if (alternate !== undefined) this.hit(alternate);
      }
    }
    return queues.length;
  }
}
