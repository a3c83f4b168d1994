import { Simulation } from "../../src/scheduler/simulation.js";
import { type TaskAppOptions, tasks } from "../../src/tasks/index.js";

/** A simulation starting at 0 and a task app on it. */
export function world(options: TaskAppOptions = {}, seed = 1) {
  const sim = new Simulation({ seed, start: 0 });
  const app = tasks(sim, options);
  return { sim, app };
}
