import type { AmqpQueue } from "./amqp-queue.js";
import { type HeadersMatchOptions, headersMatch } from "./headers-match.js";
import { TopicTrie } from "./topic-trie.js";

/**
 * The exchange types brokerlab models.
 *
 * @example
 * ```ts
 * broker.exchange("logs", "fanout");
 * ```
 */
export type ExchangeType = "direct" | "fanout" | "topic" | "headers";

/**
 * Every exchange type, in the order error messages list them.
 *
 * @example
 * ```ts
 * EXCHANGE_TYPES.includes("topic"); // true
 * ```
 */
export const EXCHANGE_TYPES: readonly ExchangeType[] = ["direct", "fanout", "topic", "headers"];

/**
 * Where a binding leads: a queue, or another exchange (exchange-to-exchange binding).
 *
 * @example
 * ```ts
 * const target: Destination = broker.getQueue("jobs")!;
 * ```
 */
export type Destination = AmqpQueue | Exchange;

/**
 * One binding: from a source exchange to a queue or exchange, with a binding key and arguments.
 * Two bindings are the same when source, destination, key and arguments are all equal.
 *
 * @example
 * ```ts
 * for (const binding of broker.getExchange("orders")!.bindings()) {
 *   console.log(binding.destination.name, binding.key);
 * }
 * ```
 */
export class Binding {
  /** The exchange messages come from. */
  readonly source: Exchange;
  /** The queue or exchange they go to. */
  readonly destination: Destination;
  /** The binding key (topic: a pattern; headers and fanout: ignored). */
  readonly key: string;
  /** The binding arguments (headers: the match table with `x-match`). */
  readonly args: Readonly<Record<string, unknown>>;
  /** @internal Identity within the source: destination, key and canonical arguments. */
  readonly id: string;

  /** @internal */
  constructor(
    source: Exchange,
    destination: Destination,
    key: string,
    args: Readonly<Record<string, unknown>>,
    id: string,
  ) {
    this.source = source;
    this.destination = destination;
    this.key = key;
    this.args = args;
    this.id = id;
  }

  /** `"queue"` or `"exchange"`. */
  get destinationKind(): "queue" | "exchange" {
    return this.destination.isQueue ? "queue" : "exchange";
  }
}

/**
 * Collects what a routing walk reaches; implemented by the router. Destinations are deduplicated
 * by a per-walk stamp on each queue and exchange, so a walk allocates no set.
 *
 * @example
 * ```ts
 * const found = exchange.route("eu.created", undefined, router); // router is a RouteCollector
 * ```
 */
export interface RouteCollector {
  /** The current walk's stamp. */
  readonly stamp: number;
  /** Records a queue or exchange reached. */
  hit(destination: Destination): void;
}

/**
 * What a topic exchange hands to {@link TopicTrie.match} as its output set: a `Set` whose `add`
 * reports the destination straight to the walk's collector (which deduplicates by stamp) and
 * counts it, instead of storing it. That spares a set clear, a store and an iteration per publish;
 * the trie only ever calls `add` on its output.
 */
class CollectorSet extends Set<Destination> {
  collector: RouteCollector | null = null;
  found = 0;

  override add(destination: Destination): this {
    this.found++;
    this.collector!.hit(destination);
    return this;
  }
}

const DIRECT = 0;
const FANOUT = 1;
const TOPIC = 2;
const HEADERS = 3;
const KIND: Readonly<Record<ExchangeType, number>> = {
  direct: DIRECT,
  fanout: FANOUT,
  topic: TOPIC,
  headers: HEADERS,
};

interface HeadersBinding {
  destination: Destination;
  args: Record<string, unknown>;
}

/**
 * Options fixed when an exchange is created (the broker fills them from {@link ExchangeOptions}).
 *
 * @example
 * ```ts
 * const settings: ExchangeSettings = {
 *   durable: false, autoDelete: false, internal: false, arguments: {}, alternateExchange: null,
 * };
 * ```
 */
export interface ExchangeSettings {
  durable: boolean;
  autoDelete: boolean;
  internal: boolean;
  arguments: Readonly<Record<string, unknown>>;
  alternateExchange: string | null;
}

/**
 * An exchange and its bindings, with per-type routing structures: direct keys in a
 * `Map<key, destinations>`, fanout in a plain array, topic patterns in a {@link TopicTrie} (one
 * per exchange, never a regex per binding), headers bindings in an array matched with
 * {@link headersMatch}. The default exchange `""` routes by queue name and holds no bindings.
 *
 * Inspect with the read-only members; change topology through the broker or a channel.
 *
 * @example
 * ```ts
 * const orders = broker.exchange("orders", "topic");
 * broker.bind("eu-orders", "orders", "eu.#");
 * orders.bindingCount; // 1
 * ```
 */
export class Exchange {
  /** Discriminates {@link Destination}s: always false. */
  readonly isQueue = false;
  /** The exchange name (`""` for the default exchange). */
  readonly name: string;
  /** The exchange type. */
  readonly type: ExchangeType;
  /** Survives a broker restart. */
  readonly durable: boolean;
  /** Deleted when its last binding (as a source) goes, once it had one. */
  readonly autoDelete: boolean;
  /** Clients may not publish to it directly (403); it receives only through bindings. */
  readonly internal: boolean;
  /** Declaration arguments as given. */
  readonly arguments: Readonly<Record<string, unknown>>;
  /** Where messages that match no binding go (`alternate-exchange`), or null. */
  readonly alternateExchange: string | null;
  /** True once deleted. */
  deleted = false;

  /** @internal Stamp of the last routing walk that reached it. */
  routeStamp = 0;
  /** @internal Bindings where this exchange is the source, by identity. */
  readonly outbound = new Map<string, Binding>();
  /** @internal Bindings where this exchange is the destination. */
  readonly inbound = new Set<Binding>();
  /** @internal Set by the broker for the default exchange: every queue, by name. */
  defaultQueues: ReadonlyMap<string, AmqpQueue> | null = null;

  private readonly kind: number;
  private readonly direct: Map<string, Destination[]> | null;
  private readonly fanout: Destination[] | null;
  private readonly topic: TopicTrie<Destination> | null;
  // The trie holds each (key, destination) pair once; bindings differing only in arguments share it.
  private readonly topicCounts: Map<string, number> | null;
  private readonly topicOut: CollectorSet | null;
  private readonly headers: HeadersBinding[] | null;
  private readonly headersOptions: HeadersMatchOptions | undefined;
  private hadBinding = false;

  /** @internal Created by the broker. */
  constructor(
    name: string,
    type: ExchangeType,
    settings: ExchangeSettings,
    headersOptions: HeadersMatchOptions | undefined,
  ) {
    this.name = name;
    this.type = type;
    this.durable = settings.durable;
    this.autoDelete = settings.autoDelete;
    this.internal = settings.internal;
    this.arguments = settings.arguments;
    this.alternateExchange = settings.alternateExchange;
    this.kind = KIND[type];
    this.direct = this.kind === DIRECT ? new Map() : null;
    this.fanout = this.kind === FANOUT ? [] : null;
    this.topic = this.kind === TOPIC ? new TopicTrie() : null;
    this.topicCounts = this.kind === TOPIC ? new Map() : null;
    this.topicOut = this.kind === TOPIC ? new CollectorSet() : null;
    this.headers = this.kind === HEADERS ? [] : null;
    this.headersOptions = headersOptions;
  }

  /** Number of bindings with this exchange as the source. */
  get bindingCount(): number {
    return this.outbound.size;
  }

  /** The bindings with this exchange as the source, in creation order. */
  bindings(): Binding[] {
    return [...this.outbound.values()];
  }

  /** True for the default exchange `""`. */
  get isDefault(): boolean {
    return this.defaultQueues !== null;
  }

  /** @internal True once it had a binding as a source (auto-delete waits for that). */
  get everBound(): boolean {
    return this.hadBinding;
  }

  /** @internal Adds a binding the broker has validated and registered. */
  addBinding(binding: Binding): void {
    this.hadBinding = true;
    const destination = binding.destination;
    switch (this.kind) {
      case DIRECT: {
        const map = this.direct!;
        const list = map.get(binding.key);
        if (list === undefined) map.set(binding.key, [destination]);
        else list.push(destination);
        break;
      }
      case FANOUT:
        this.fanout!.push(destination);
        break;
      case TOPIC: {
        const pair = topicPair(binding);
        const count = this.topicCounts!.get(pair) ?? 0;
        this.topicCounts!.set(pair, count + 1);
        if (count === 0) this.topic!.add(binding.key, destination);
        break;
      }
      default:
        this.headers!.push({ destination, args: binding.args as Record<string, unknown> });
    }
  }

  /** @internal Removes a binding previously added. */
  removeBinding(binding: Binding): void {
    const destination = binding.destination;
    switch (this.kind) {
      case DIRECT: {
        const map = this.direct!;
        const list = map.get(binding.key);
        if (list === undefined) return;
        const index = list.indexOf(destination);
        if (index >= 0) list.splice(index, 1);
        if (list.length === 0) map.delete(binding.key);
        break;
      }
      case FANOUT: {
        const index = this.fanout!.indexOf(destination);
        if (index >= 0) this.fanout!.splice(index, 1);
        break;
      }
      case TOPIC: {
        const pair = topicPair(binding);
        const count = this.topicCounts!.get(pair) ?? 0;
        if (count <= 1) {
          this.topicCounts!.delete(pair);
          this.topic!.remove(binding.key, destination);
        } else {
          this.topicCounts!.set(pair, count - 1);
        }
        break;
      }
      default: {
        const list = this.headers!;
        const index = list.findIndex(
          (entry) => entry.destination === destination && entry.args === binding.args,
        );
        if (index >= 0) list.splice(index, 1);
      }
    }
  }

  /**
   * @internal Routes one routing key: reports each matching destination to `collector` and returns
   * how many matched (counting ones the walk already reached), which decides whether the
   * alternate exchange is used.
   */
  route(routingKey: string, headers: Record<string, unknown> | undefined, collector: RouteCollector): number {
    switch (this.kind) {
      case DIRECT: {
        if (this.defaultQueues !== null) {
          const queue = this.defaultQueues.get(routingKey);
          if (queue === undefined) return 0;
          collector.hit(queue);
          return 1;
        }
        const list = this.direct!.get(routingKey);
        if (list === undefined) return 0;
        for (let i = 0; i < list.length; i++) collector.hit(list[i]!);
        return list.length;
      }
      case FANOUT: {
        const list = this.fanout!;
        for (let i = 0; i < list.length; i++) collector.hit(list[i]!);
        return list.length;
      }
      case TOPIC: {
        const out = this.topicOut!;
        out.collector = collector;
        out.found = 0;
        this.topic!.match(routingKey, out);
        out.collector = null;
        return out.found;
      }
      default: {
        const list = this.headers!;
        let found = 0;
        for (let i = 0; i < list.length; i++) {
          const entry = list[i]!;
          if (headersMatch(entry.args, headers, this.headersOptions)) {
            collector.hit(entry.destination);
            found++;
          }
        }
        return found;
      }
    }
  }

  /** @internal Headers exchanges ignore routing keys, so one pass covers every CC/BCC key. */
  get ignoresKeys(): boolean {
    return this.kind === FANOUT || this.kind === HEADERS;
  }
}

function topicPair(binding: Binding): string {
  return `${binding.destination.isQueue ? "q" : "x"}\u0000${binding.destination.name}\u0000${binding.key}`;
}
