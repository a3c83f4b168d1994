import { KafkaJSNotImplemented } from "./errors.js";
import type { ProducerBatch, ProducerRecord, RecordMetadata, TopicOffsets } from "./types.js";

/**
 * SEAM — kafkajs transactions (`producer.transaction()`).
 *
 * Transactions are being added to the native log model (`src/log`: transactional ids, epochs and
 * fencing, control markers, last stable offset, `sendOffsetsToTransaction`). Until that API
 * exists, {@link beginTransaction} refuses with NOT_SUPPORTED instead of pretending: a faked
 * transaction would let tests pass that fail against Kafka.
 *
 * To wire it (the native API landing in `src/log/producer.ts`): on the first `transaction()`,
 * create — once per facade producer — a native producer with `{ transactionalId,
 * transactionTimeoutMs: transactionTimeout, acks: -1, enableIdempotence: true }` and await its
 * `initTransactions()`; then `beginTransaction()` and return a {@link Transaction} whose
 * `send`/`sendBatch` go through that producer (same validation, partitioning and RecordMetadata
 * shaping as `producer.ts`), `sendOffsets({ consumerGroupId, topics })` calls
 * `sendOffsetsToTransaction(offsets with numeric offsets, consumerGroupId)` (a group id, no member
 * check, as kafkajs does), `commit`/`abort` call `commitTransaction()`/`abortTransaction()`, and
 * `isActive` turns false once ended; calls after the end reject with
 * `KafkaJSNonRetriableError("Cannot continue to use transaction once ended")`, and a second
 * `transaction()` while one is open rejects with kafkajs' "There is already an ongoing transaction
 * for this producer. Please end the transaction before beginning another." Native errors map
 * through `toKafkaJSError` (INVALID_TXN_STATE, CONCURRENT_TRANSACTIONS, … are in the protocol
 * table; PRODUCER_FENCED becomes kafkajs' KAFKAJS_UNKNOWN_ERROR_CODE, as kafkajs 2.2.4 has no entry
 * for code 90). `readUncommitted: false` consumers already fetch below the last
 * stable offset through the native consumer, so nothing changes on the consumer side.
 */

/**
 * kafkajs' `Transaction`.
 *
 * @example
 * ```ts
 * const tx = await producer.transaction();
 * await tx.send({ topic: "out", messages: [{ value: "x" }] });
 * await tx.commit();
 * ```
 */
export interface Transaction {
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  sendBatch(batch: ProducerBatch): Promise<RecordMetadata[]>;
  sendOffsets(offsets: { consumerGroupId: string; topics: TopicOffsets[] }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  isActive(): boolean;
}

/** What the producer knows when a transaction begins. */
export interface TransactionRequest {
  readonly clientId: string;
  readonly transactionalId: string;
  readonly transactionTimeout: number;
}

/**
 * Begins a transaction for a transactional producer. Not wired yet: rejects with
 * `KafkaJSNotImplemented` (brokerlab code NOT_SUPPORTED). See the module comment.
 *
 * @example
 * ```ts
 * await beginTransaction({ clientId: "app", transactionalId: "tx-1", transactionTimeout: 60000 }); // rejects for now
 * ```
 */
export async function beginTransaction(request: TransactionRequest): Promise<Transaction> {
  throw new KafkaJSNotImplemented(
    `producer.transaction(): transactions (transactionalId ${JSON.stringify(request.transactionalId)}) are not modelled by brokerlab's kafkajs facade yet; the native log model is gaining them. Use plain or idempotent sends meanwhile.`,
    { details: { transactionalId: request.transactionalId } },
  );
}
