/**
 * RabbitMQ conformance: every scenario runs against the real broker and must reproduce its golden
 * observation (recorded by `record.ts`), which shows the scenarios are deterministic. Once the
 * simulated side exists, {@link simulatedContext} returns its context and each scenario's
 * simulated observation must equal the real one, field by field.
 *
 * Run with `scripts/conformance.sh` (starts and stops RabbitMQ), or with a broker already running:
 * `npx vitest run -c vitest.conformance.config.ts`.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { readGolden } from "./golden.js";
import { type Observation, runScenario, type ScenarioContext } from "./harness.js";
import { assertRealBrokerReachable, realContext } from "./real.js";
import { scenarios } from "./scenarios/index.js";

// ---------------------------------------------------------------------------------------------
// SIMULATED SIDE — plug-in point.
// When `brokerlab/amqplib` exists, return a context whose `connect()` opens a facade connection
// on a fresh simulation (auto drive mode) and whose `sleep(ms)` advances that simulation's clock,
// e.g.:
//   const sim = new Simulation({ seed: 1 });
//   return { connect: () => amqpFacade(sim).connect("amqp://sim"), sleep: (ms) => sim.sleep(ms),
//            name: (base) => base };
// Returning a context activates the "simulator matches the real broker" tests below.
// ---------------------------------------------------------------------------------------------
/** The simulated broker's scenario context; `undefined` until the amqplib facade exists. */
function simulatedContext(): ScenarioContext | undefined {
  return undefined;
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

  describe.skipIf(simulatedContext() === undefined)("simulator matches the real broker", () => {
    for (const scenario of scenarios) {
      test(scenario.name, async () => {
        const real = realObservations.get(scenario.name) ?? readGolden(scenario.name);
        const context = simulatedContext();
        if (!context) throw new Error("simulatedContext() returned undefined");
        const simulated = await runScenario(scenario, context);
        expect(simulated).toEqual(real);
      });
    }
  });
});
