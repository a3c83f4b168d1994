/**
 * The simulated side of the conformance suite: scenario contexts whose connections go to
 * brokerlab's amqplib-shaped facade (`brokerlab/amqplib`) on a fresh simulation per scenario.
 * The simulation drives itself (auto mode), and `sleep` waits in its virtual time, so a scenario
 * that waits 400 ms for TTLs to pass takes no wall-clock time at all.
 */
import { accessControlFor, connect } from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";
import type { AmqpConnection, ScenarioContext } from "./harness.js";
import { provisionUsers } from "./users.js";

/** A scenario context plus `close()`, which stops the simulation's runner afterwards. */
export interface SimulatedContext extends ScenarioContext {
  readonly simulation: Simulation;
  close(): void;
}

/**
 * A fresh simulated context: one auto-driven simulation (seed 1) with one broker, shared by every
 * connection the scenario opens. Names are used as given: nothing else shares the broker.
 */
export function simulatedContext(seed = 1): SimulatedContext {
  const simulation = new Simulation({ start: 0, seed, drive: "auto" });
  // The users scripts/rabbitmq.sh creates on the real node.
  provisionUsers(accessControlFor(simulation));
  return {
    simulation,
    // The facade's classes are amqplib-shaped but not amqplib's (whose types extend Node's
    // EventEmitter); scenarios use only the shared surface.
    connect: async () => (await connect("amqp://localhost", { simulation })) as unknown as AmqpConnection,
    connectAs: async (login) =>
      (await connect(
        { protocol: "amqp", hostname: "localhost", ...login, vhost: login.vhost ?? "/" },
        { simulation },
      )) as unknown as AmqpConnection,
    sleep: (ms) => simulation.sleep(ms),
    name: (base) => base,
    close: () => simulation.close(),
  };
}
