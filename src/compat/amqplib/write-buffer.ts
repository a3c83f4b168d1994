import type { AmqpConnection } from "../../exchange/connection.js";

/**
 * amqplib's per-channel write buffer: a `PassThrough` in object mode with `highWaterMark` 1024
 * (`DEFAULT_WRITE_HWM`, or `createChannel({ highWaterMark })`), counted in chunks, not bytes. A
 * small publish is one chunk; one whose frames reach 2048 bytes (`SINGLE_CHUNK_THRESHOLD`) is a
 * method+header chunk plus one chunk per body frame.
 *
 * @example
 * ```ts
 * const channel = await connection.createChannel({ highWaterMark: DEFAULT_WRITE_HWM });
 * ```
 */
export const DEFAULT_WRITE_HWM = 1024;

/** amqplib writes a publish as one buffer below this many frame bytes. */
const SINGLE_CHUNK_THRESHOLD = 2048;
/** The frame size amqplib 2.x and RabbitMQ 3.10 agree on by default (128 KiB). */
const FRAME_MAX = 131_072;
/** Frame header (7) and frame-end (1) octets. */
const FRAME_OVERHEAD = 8;
/** Node's `net.Socket` default `writableHighWaterMark` (Node 20): the muxer stops above it. */
const SOCKET_HWM_BYTES = 16_384;

const TEXT = new TextEncoder();

function utf8Length(text: string): number {
  let ascii = true;
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) {
      ascii = false;
      break;
    }
  }
  return ascii ? text.length : TEXT.encode(text).length;
}

/** An estimate of an AMQP table's encoded size (amqplib always sends `headers`, usually empty). */
function tableBytes(table: Record<string, unknown>): number {
  for (const _ in table) return utf8Length(JSON.stringify(table) ?? "");
  return 0;
}

/**
 * @internal The bytes of a publish's frames on the wire (method, header, body frames), as amqplib
 * encodes them: exact for the method frame and the frame overheads, an estimate for the property
 * table (each field's encoded size; headers by their JSON size).
 *
 * @example
 * ```ts
 * publishFrameBytes("", "jobs", 5, {}); // { method: 21, header: 22, body: 13 }
 * ```
 */
export function publishFrameBytes(
  exchange: string,
  routingKey: string,
  bodyLength: number,
  properties: Record<string, unknown>,
): { method: number; header: number; body: number } {
  // Frame header 7 + class/method 4 + ticket 2 + two short strings + bits 1 + frame end 1.
  const method = 17 + utf8Length(exchange) + utf8Length(routingKey);
  let props = 0;
  for (const key in properties) {
    const value = properties[key];
    if (value === undefined || value === null) continue;
    if (typeof value === "string") props += 1 + utf8Length(value);
    else if (typeof value === "number") props += key === "timestamp" ? 8 : 1;
    else if (typeof value === "object") props += 4 + tableBytes(value as Record<string, unknown>);
  }
  // Frame header 7 + class 2 + weight 2 + body size 8 + flags 2 + properties + frame end 1.
  const header = 22 + props;
  const frames = bodyLength === 0 ? 0 : Math.ceil(bodyLength / (FRAME_MAX - FRAME_OVERHEAD));
  return { method, header, body: bodyLength + frames * FRAME_OVERHEAD };
}

/**
 * @internal How many writes (chunks) amqplib's `sendMessage` makes for a publish of these frame
 * sizes: one below 2048 bytes in all, else the method and header frames plus one per body frame.
 *
 * @example
 * ```ts
 * publishChunks(publishFrameBytes("", "jobs", 5000, {}), 5000); // 2
 * ```
 */
export function publishChunks(
  sizes: { method: number; header: number; body: number },
  bodyLength: number,
): number {
  const all = sizes.method + sizes.header + sizes.body;
  if (all < SINGLE_CHUNK_THRESHOLD) return 1;
  const heads = sizes.method + sizes.header < SINGLE_CHUNK_THRESHOLD ? 1 : 2;
  return heads + Math.ceil(bodyLength / (FRAME_MAX - FRAME_OVERHEAD));
}

/**
 * @internal One channel's write buffer. `write` answers what amqplib's `publish` returns: Node's
 * `PassThrough` (object mode, `highWaterMark` h, with the muxer's `'readable'` listener) holds h
 * chunks on its readable side and h on its writable side, so a write returns false once
 * 2·h − 1 chunks are buffered (the 2047th publish of a synchronous loop, by default), and
 * `'drain'` follows when the writable side empties: h chunks or fewer left.
 *
 * @example
 * ```ts
 * const buffer = new ChannelWriteBuffer(1024, clientLink(connection.native), () => emit("drain"));
 * buffer.write(1, 48); // true until 2047 chunks are buffered
 * ```
 */
export class ChannelWriteBuffer {
  /** Chunks buffered (written, not yet taken by the muxer). */
  chunks = 0;
  /** Their bytes. */
  bytes = 0;
  /** The most chunks ever buffered at once. */
  peakChunks = 0;
  private needDrain = false;
  /** Buffered writes, oldest first: chunks and bytes of each (kept only for a finite link). */
  private readonly entryChunks: number[] = [];
  private readonly entryBytes: number[] = [];
  private head = 0;

  constructor(
    readonly highWaterMark: number,
    private readonly link: ClientLink,
    private readonly onDrain: () => void,
  ) {}

  /** Buffers one publish; returns amqplib's `publish` result. */
  write(chunks: number, bytes: number): boolean {
    this.chunks += chunks;
    this.bytes += bytes;
    if (this.chunks > this.peakChunks) this.peakChunks = this.chunks;
    if (this.link.finite) {
      this.entryChunks.push(chunks);
      this.entryBytes.push(bytes);
    }
    this.link.wrote(this);
    const ok = this.chunks < 2 * this.highWaterMark - 1;
    if (!ok) this.needDrain = true;
    return ok;
  }

  /** @internal The muxer takes everything (an infinitely fast link). */
  takeAll(): void {
    this.chunks = 0;
    this.bytes = 0;
    this.entryChunks.length = 0;
    this.entryBytes.length = 0;
    this.head = 0;
  }

  /** @internal The muxer takes the oldest write; returns its bytes, or -1 when empty. */
  takeOne(): number {
    if (this.head >= this.entryChunks.length) {
      // Written while the link was unlimited (its speed changed since): one lump.
      if (this.chunks === 0) return -1;
      const lump = this.bytes;
      this.chunks = 0;
      this.bytes = 0;
      return lump;
    }
    const chunks = this.entryChunks[this.head]!;
    const bytes = this.entryBytes[this.head]!;
    this.head++;
    if (this.head === this.entryChunks.length) {
      this.entryChunks.length = 0;
      this.entryBytes.length = 0;
      this.head = 0;
    }
    this.chunks -= chunks;
    this.bytes -= bytes;
    return bytes;
  }

  /** @internal After the muxer ran: `'drain'` if a write said false and the writable side emptied. */
  maybeDrain(): void {
    if (this.needDrain && this.chunks <= this.highWaterMark) {
      this.needDrain = false;
      this.onDrain();
    }
  }

  /** @internal The channel closed: its buffer is released, nothing more is carried. */
  release(): void {
    this.takeAll();
    this.needDrain = false;
    this.link.forget(this);
  }
}

function runMux(link: ClientLink): void {
  link.mux();
}

function socketDrained(link: ClientLink): void {
  link.socketDrained();
}

/**
 * @internal The client's socket and the network under one connection: amqplib's muxer, which moves chunks
 * from the channels' write buffers into the socket in a later turn (a `setImmediate`; here a
 * simulation event at the same virtual time), round robin, until the socket's buffer passes
 * 16 KiB; and the link, which carries the socket's bytes to the broker at the connection's
 * `clientBytesPerMs` (default unlimited: the muxer's turn empties every buffer). While the broker
 * blocks the connection (`connection.blocked`, a resource alarm) it reads nothing: the socket
 * stays full and the buffers fill.
 *
 * @example
 * ```ts
 * const link = clientLink(connection.native); // one per connection
 * ```
 */
export class ClientLink {
  private readonly buffers: ChannelWriteBuffer[] = [];
  private scheduled = false;
  private socketBytes = 0;
  private draining = false;

  constructor(private readonly native: AmqpConnection) {
    native.on("unblocked", () => this.schedule());
  }

  /** True when the link carries bytes at a finite rate. */
  get finite(): boolean {
    return Number.isFinite(this.native.clientBytesPerMs);
  }

  /** @internal A buffer was written to. */
  wrote(buffer: ChannelWriteBuffer): void {
    if (!this.buffers.includes(buffer)) this.buffers.push(buffer);
    this.schedule();
  }

  /** @internal A buffer is gone. */
  forget(buffer: ChannelWriteBuffer): void {
    const i = this.buffers.indexOf(buffer);
    if (i >= 0) this.buffers.splice(i, 1);
  }

  private schedule(): void {
    if (this.scheduled || this.draining || this.native.closed) return;
    this.scheduled = true;
    this.native.broker.sim.defer(runMux, this);
  }

  /** @internal The muxer's turn. */
  mux(): void {
    this.scheduled = false;
    const native = this.native;
    if (native.closed || native.blocked) return;
    const buffers = this.buffers;
    const rate = native.clientBytesPerMs;
    if (!Number.isFinite(rate)) {
      for (const buffer of buffers) buffer.takeAll();
    } else {
      // Round robin, one write per buffer per round, until the socket is full or nothing is left.
      let moved = true;
      while (moved && this.socketBytes < SOCKET_HWM_BYTES) {
        moved = false;
        for (const buffer of buffers) {
          const bytes = buffer.takeOne();
          if (bytes < 0) continue;
          moved = true;
          this.socketBytes += bytes;
          if (this.socketBytes >= SOCKET_HWM_BYTES) break;
        }
      }
      if (this.socketBytes > 0) {
        this.draining = true;
        const sim = native.broker.sim;
        sim.schedule(sim.now + this.socketBytes / rate, socketDrained, this);
      }
    }
    for (const buffer of [...buffers]) {
      buffer.maybeDrain();
      if (buffer.chunks === 0) this.forget(buffer);
    }
  }

  /** @internal The socket's bytes reached the broker: the muxer may move more. */
  socketDrained(): void {
    this.draining = false;
    this.socketBytes = 0;
    if (this.buffers.length > 0) this.schedule();
  }
}

const links = new WeakMap<AmqpConnection, ClientLink>();

/**
 * @internal The link of a native connection, created on first use.
 *
 * @example
 * ```ts
 * clientLink(native) === clientLink(native); // true
 * ```
 */
export function clientLink(native: AmqpConnection): ClientLink {
  let link = links.get(native);
  if (link === undefined) {
    link = new ClientLink(native);
    links.set(native, link);
  }
  return link;
}
