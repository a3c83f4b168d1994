/**
 * # Kafka conformance: kafkajs scenarios, real broker versus golden files and brokerlab
 *
 * Each scenario in ./scenarios is a kafkajs script (`{ name, run(ctx) }`) that returns plain JSON
 * of what the client observed. This suite runs every scenario against a real Kafka-protocol
 * broker — librdkafka's in-process mock cluster, started by scripts/kafka-mock.sh — and checks
 * the observation against golden/<scenario>.json; then it runs the scenario against brokerlab's
 * kafkajs-shaped facade (`brokerlab/kafkajs`, through `simulatedContext()` below) and requires
 * the simulated observation to equal the real one.
 *
 *   scripts/kafka-mock.sh start                       # optional: the suite starts it if needed
 *   npx tsx test/conformance/kafka/record.ts          # re-record golden files (all or by name)
 *   npx vitest run -c vitest.conformance.config.ts    # run the suite
 *
 * The broker address comes from KAFKA_BOOTSTRAP or the mock's address file
 * (/tmp/brokerlab-kafka-mock/address); if neither works the suite starts the mock and stops it
 * afterwards. Observations are made deterministic: names are unique per run and normalised back
 * to their bases, consumers wait for GROUP_JOIN and a fetch before anything they must see is
 * produced, waits are bounded, messages are grouped by partition (order kept within a partition,
 * interleaving across partitions dropped), and member ids never appear.
 *
 * ## What comes from the mock cluster, not from Kafka
 *
 * Tested with librdkafka 2.0.2 (Debian bookworm librdkafka1 2.0.2-1, through
 * python3-confluent-kafka 1.7.0-4) and kafkajs 2.2.4. The golden files encode the mock's
 * answers, so the scenarios avoid everything below or normalise it away; a simulated facade that
 * follows Kafka should match them.
 *
 * - Auto-created topics get 4 partitions (replication factor min(3, brokers) = 1). Kafka's
 *   `num.partitions` default is 1. The mock has no setting for it (only `test.mock.num.brokers`
 *   and `test.mock.broker.rtt` exist); the C API `rd_kafka_mock_topic_create` is not exposed to
 *   Python. Scenarios therefore create topics by producing to them and assume 4 partitions.
 * - Metadata names controller id 0, which is no broker (the broker is id 1). Every kafkajs call
 *   sent to the controller fails with KafkaJSBrokerNotFound "Broker 0 not found in the cached
 *   metadata": `createTopics`, `deleteTopics`, `createPartitions`, `describeConfigs`, and
 *   `connect()` of idempotent and transactional producers (InitProducerId). So no idempotence
 *   and no transactions.
 * - Unsupported APIs ("The Kafka server does not support the requested API version"):
 *   DescribeGroups (`admin.describeGroups`, `consumer.describeGroup`, and so `admin.setOffsets`
 *   and `admin.resetOffsets`, which check the group first), ListGroups, DeleteGroups,
 *   DeleteRecords (`admin.deleteTopicRecords`).
 * - ListOffsets by timestamp is not implemented (answers offset -1), so
 *   `admin.fetchTopicOffsetsByTimestamp` returns the high watermarks; Kafka returns the first
 *   offset whose timestamp is at or after the one asked for. Only earliest/latest work.
 * - Produce responses carry LogAppendTime 1234 (Kafka: -1 for CreateTime topics);
 *   `sendResults()` drops `logAppendTime`.
 * - OffsetFetch returns metadata null (Kafka: ""), committed or not; `committedOffsets()`
 *   drops `metadata`.
 * - Consumer groups: the first join of an empty group waits a fixed 3000 ms (Kafka's default
 *   `group.initial.rebalance.delay.ms`, but not configurable). After the last member leaves, the
 *   group stays "joining" for session timeout − 1000 ms, so a member rejoining within that time
 *   waits for it (5 s with the suite's 6 s session timeout; Kafka would treat the group as empty
 *   and wait the initial delay). Member ids are pointer strings ("0x7f…"), not
 *   `${clientId}-${uuid}`, so which member gets which partitions under kafkajs' round-robin
 *   assigner differs from Kafka; scenarios record the shares sorted. The leader is the first
 *   member to join; its first protocol is used. The rebalance timeout is ignored (the session
 *   timeout drives all group timers). Groups are never deleted.
 * - Fetch returns at most one produced batch per partition per response, and an empty fetch
 *   waits the full `maxWaitTimeInMs` even if data arrives meanwhile. Batch boundaries seen by
 *   `eachBatch` differ from Kafka; scenarios use `eachMessage` only.
 * - Once a group has existed, OffsetCommit needs a known member id and the current generation,
 *   even when the group is empty again (Kafka accepts member-less commits to an empty group).
 * - The mock listens on 127.0.0.1 only, with an ephemeral port, and keeps all topics, offsets
 *   and groups in memory until it stops; topics cannot be deleted, so every run uses new names.
 *
 * ## The simulated side (brokerlab/kafkajs, simulated.ts)
 *
 * Every scenario's simulated observation equals the golden file. The simulated cluster follows
 * Kafka, except for one setting taken from the mock: auto-created topics get 4 partitions
 * (`defaultPartitions: 4`; the facade's default, like Kafka's, is 1). Where the mock deviates
 * from Kafka, the simulator does what Kafka does, and the harness's normalisation hides it:
 * - logAppendTime is "-1" for CreateTime topics (mock: 1234; dropped by `sendResults`), and
 *   kafkajs reads Kafka's "" metadata as null anyway.
 * - The controller is a known broker, so createTopics, deleteTopics, createPartitions,
 *   describeGroups, listGroups, deleteGroups and idempotent producers work (scenarios avoid them).
 * - A group whose last member left is Empty again, so the next member waits the 3 s initial
 *   rebalance delay (mock: session timeout − 1000 ms); scenarios observe content, not timing.
 * - Member ids are `${clientId}-${n}` (Kafka: `${clientId}-${uuid}`; mock: pointer strings); the
 *   round-robin shares are recorded sorted.
 * - A fetch returns every record available up to the byte limits, not one batch per partition,
 *   and returns as soon as data arrives; scenarios use eachMessage only.
 * Timing is virtual: `ctx.sleep` and all waits move the simulation's clock, so the simulated half
 * of the suite takes milliseconds. Differences from kafkajs itself that no scenario exercises
 * (admin requests answered at once, compression not applied, special offsets -1/-2 stored as "no
 * committed offset", custom assigners and transactions refused) are listed in docs/kafkajs.md.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { Observation } from "./context.js";
import { ensureMockCluster, type MockCluster, realContextFactory } from "./real.js";
import { type ContextFactory, canonicalise, runScenario } from "./runner.js";
import { scenarios } from "./scenarios/index.js";
import { simulatedContextFactory } from "./simulated.js";

const GOLDEN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "golden");
/** Per scenario: group joins take 3–5 s each on the mock; the slowest scenario needs about 10 s. */
const SCENARIO_TIMEOUT_MS = 60_000;

/**
 * SIMULATED SIDE — brokerlab's kafkajs facade (`brokerlab/kafkajs`, src/compat/kafkajs): a fresh
 * simulated cluster per scenario with auto-created topics of 4 partitions (the mock's count) and
 * `sleep()` on the virtual clock; see simulated.ts. Without the mock, the simulated side alone can
 * be checked against the golden files with `npx tsx test/conformance/kafka/compare-simulated.ts`.
 */
function simulatedContext(): ContextFactory | undefined {
  return simulatedContextFactory();
}

function golden(name: string): Observation {
  const file = resolve(GOLDEN_DIR, `${name}.json`);
  if (!existsSync(file)) {
    throw new Error(
      `no golden file ${file}; record it with: npx tsx test/conformance/kafka/record.ts ${name}`,
    );
  }
  return JSON.parse(readFileSync(file, "utf8")) as Observation;
}

let mock: MockCluster | undefined;
let realContext: ContextFactory;

beforeAll(async () => {
  mock = await ensureMockCluster();
  realContext = realContextFactory(mock.bootstrap);
}, 600_000);

afterAll(async () => {
  await mock?.release();
});

describe("kafka conformance: kafkajs against librdkafka's mock cluster", () => {
  for (const scenario of scenarios) {
    test(
      `${scenario.name}: ${scenario.description}`,
      async () => {
        const real = await runScenario(scenario, realContext);
        expect(real).toEqual(canonicalise(golden(scenario.name)));

        const simulatedFactory = simulatedContext();
        if (simulatedFactory) {
          const simulated = await runScenario(scenario, simulatedFactory);
          expect(simulated).toEqual(real);
        }
      },
      SCENARIO_TIMEOUT_MS,
    );
  }
});
