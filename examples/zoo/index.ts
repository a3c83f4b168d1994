// The zoo: ten classic delivery bugs in consumers and pipelines, each written against the kafkajs
// or amqplib facade as an application would be, each with its fix. test/semantics/zoo.test.ts
// explores every one: the buggy version must be caught with a shrunk plan of at most three
// faults, the fixed one must pass 500 runs.
// Run one with: npx tsx examples/zoo/run.ts payment-setex
import { ackBeforeProcessing } from "./ack-before-processing.js";
import { autoCommitDuplicates } from "./auto-commit-duplicates.js";
import { commitBeforeProcessing } from "./commit-before-processing.js";
import { fanoutAsyncCommit } from "./fanout-async-commit.js";
import type { ZooEntry } from "./harness.js";
import { parallelPerKey } from "./parallel-per-key.js";
import { paymentSetex } from "./payment-setex.js";
import { poisonRequeue } from "./poison-requeue.js";
import { retriesWithoutBackoff } from "./retries-without-backoff.js";
import { txnOffsetsOutside } from "./txn-offsets-outside.js";
import { zombieProducer } from "./zombie-producer.js";

export type { ZooEntry } from "./harness.js";

export const ZOO: readonly ZooEntry[] = [
  commitBeforeProcessing,
  autoCommitDuplicates,
  paymentSetex,
  ackBeforeProcessing,
  poisonRequeue,
  retriesWithoutBackoff,
  parallelPerKey,
  txnOffsetsOutside,
  zombieProducer,
  fanoutAsyncCommit,
];
