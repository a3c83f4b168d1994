/**
 * RabbitMQ conformance: every scenario runs against the real broker and must reproduce its golden
 * observation (recorded by `record.ts`), which shows the scenarios are deterministic; then each
 * scenario runs through brokerlab's amqplib facade on a simulation ({@link simulatedContext}),
 * and its observation must equal the real one, field by field.
 *
 * Run with `scripts/conformance.sh` (starts and stops RabbitMQ), or with a broker already running:
 * `npx vitest run -c vitest.conformance.config.ts`.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { readGolden } from "./golden.js";
import { type Observation, runScenario } from "./harness.js";
import { assertRealBrokerReachable, realContext } from "./real.js";
import { scenarios } from "./scenarios/index.js";
import { simulatedContext as createSimulatedContext, type SimulatedContext } from "./simulated.js";

// ---------------------------------------------------------------------------------------------
// SIMULATED SIDE: every scenario runs through `brokerlab/amqplib` (src/compat/amqplib) on a fresh
// auto-driven simulation whose virtual clock `ctx.sleep` advances (see simulated.ts).
// ---------------------------------------------------------------------------------------------
/** The simulated broker's scenario context: a fresh simulation per call. */
function simulatedContext(): SimulatedContext | undefined {
  return createSimulatedContext();
}

/** Whether the simulated side is plugged in (the probe's simulation is closed at once). */
function simulatedSideAvailable(): boolean {
  const probe = simulatedContext();
  probe?.close();
  return probe !== undefined;
}

/** Real observations of this run, by scenario name, for the simulated comparison. */
const realObservations = new Map<string, Observation>();

describe("RabbitMQ conformance", () => {
  beforeAll(async () => {
    await assertRealBrokerReachable();
  });

  describe("real broker reproduces the golden observations", () => {
    for (const scenario of scenarios) {
      test(`${scenario.name}: ${scenario.description}`, async () => {
        const golden = readGolden(scenario.name);
        expect(golden, `no golden file for ${scenario.name}; run record.ts`).toBeDefined();
        const real = await runScenario(scenario, realContext());
        realObservations.set(scenario.name, real);
        expect(real).toEqual(golden);
      });
    }
  });

  describe.skipIf(!simulatedSideAvailable())("simulator matches the real broker", () => {
    for (const scenario of scenarios) {
      test(scenario.name, async () => {
        const real = realObservations.get(scenario.name) ?? readGolden(scenario.name);
        const context = simulatedContext();
        if (!context) throw new Error("simulatedContext() returned undefined");
        let simulated: Observation;
        try {
          simulated = await runScenario(scenario, context);
        } finally {
          context.close();
        }
        expect(simulated).toEqual(real);
      });
    }
  });
});
