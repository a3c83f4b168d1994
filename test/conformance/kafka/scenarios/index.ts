import type { Scenario } from "../context.js";
import { autocommitNoRedelivery } from "./autocommit-no-redelivery.js";
import { commitOffsets } from "./commit-offsets.js";
import { consumeFromBeginning } from "./consume-from-beginning.js";
import { consumeLatest } from "./consume-latest.js";
import { customAssigner } from "./custom-assigner.js";
import { groupSplit } from "./group-split.js";
import { keyedPartitioning } from "./keyed-partitioning.js";
import { pauseResume } from "./pause-resume.js";
import { redeliveryWithoutCommit } from "./redelivery-without-commit.js";
import { seek } from "./seek.js";
import { sendOffsets } from "./send-offsets.js";

/** Every Kafka conformance scenario, in the order the suite runs them. */
export const scenarios: readonly Scenario[] = [
  keyedPartitioning,
  sendOffsets,
  consumeFromBeginning,
  consumeLatest,
  commitOffsets,
  seek,
  redeliveryWithoutCommit,
  autocommitNoRedelivery,
  groupSplit,
  customAssigner,
  pauseResume,
];
