/**
 * amqplib's own marshalling and codec, loaded from node_modules, as the reference the facade's
 * shapes are compared with: `Args` (api_args.js) builds what amqplib sends, `encodeProperties` +
 * `decodeFrame` show what amqplib hands back for those properties after a trip through a broker
 * that passes them on unchanged, and `encodeTable` + `decodeFields` do the same for field tables.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);
/** amqplib ≥ 1.2 exports only "." and "./callback_api": its lib/ files are loaded by path. */
const lib = (file: string): string => join(dirname(require.resolve("amqplib")), "lib", file);

interface Defs {
  encodeProperties(id: number, channel: number, size: number, fields: unknown): Buffer;
  BasicProperties: number;
}
interface Frame {
  parseFrame(bin: Buffer): unknown;
  decodeFrame(frame: unknown): { fields: Record<string, unknown> };
}
interface Codec {
  encodeTable(buffer: Buffer, value: unknown, offset: number): number;
  decodeFields(slice: Buffer): Record<string, unknown>;
}
type ArgsModule = Record<string, (...args: unknown[]) => Record<string, unknown>>;

const defs = require(lib("defs.js")) as Defs;
const frame = require(lib("frame.js")) as Frame;
const codec = require(lib("codec.js")) as Codec;

/** amqplib's `Args` (api_args.js): what each operation sends. */
export const Args = require(lib("api_args.js")) as ArgsModule;

/** amqplib's `IllegalOperationError` class. */
export const AmqplibIllegalOperationError = (
  require(lib("error.js")) as {
    IllegalOperationError: new (message: string) => Error;
  }
).IllegalOperationError;

/** A field table encoded and decoded by amqplib's codec. */
export function roundTripTable(table: unknown): Record<string, unknown> {
  const buffer = Buffer.alloc(65536);
  const size = codec.encodeTable(buffer, table, 0);
  return codec.decodeFields(buffer.subarray(4, size));
}

/**
 * The properties a consumer gets, per amqplib, for a publish with `options`: amqplib's own
 * `Args.publish`, encoded as a content header and decoded again; RabbitMQ strips `BCC`.
 */
export function deliveredProperties(options: unknown): Record<string, unknown> {
  const fields = Args.publish!("x", "k", options);
  const header = defs.encodeProperties(60, 1, 0, fields);
  const decoded = frame.decodeFrame(frame.parseFrame(header)).fields;
  const headers = decoded.headers as Record<string, unknown> | undefined;
  if (headers !== undefined) delete headers.BCC;
  return decoded;
}
