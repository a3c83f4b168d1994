import { describe, expect, it } from "vitest";
import { AmqpBroker } from "../../src/exchange/broker.js";
import { toPositive } from "../../src/log/murmur2.js";
import { Simulation } from "../../src/scheduler/simulation.js";

/** Issue 12, defect 8: random streams are named by what the user named, not by creation order. */
describe("server-generated names per virtual host", () => {
  const names = (declareElsewhereFirst: boolean) => {
    const sim = new Simulation({ seed: 3 });
    const main = new AmqpBroker(sim);
    const other = new AmqpBroker(sim, { vhost: "team-a" });
    if (declareElsewhereFirst) other.queue("", { exclusive: false });
    return [main.queue("").name, main.queue("").name];
  };

  it("a server-named queue in one vhost does not rename the queues of another", () => {
    expect(names(true)).toEqual(names(false));
  });

  it("two vhosts draw different names", () => {
    const sim = new Simulation({ seed: 3 });
    const a = new AmqpBroker(sim).queue("").name;
    const b = new AmqpBroker(sim, { vhost: "team-a" }).queue("").name;
    expect(a).not.toBe(b);
    expect(b).toMatch(/^amq\.gen-/);
  });
});

describe("toPositive validates its argument", () => {
  it("refuses a non-number with a coded error", () => {
    expect(toPositive(-790332482)).toBe(1357151166);
    for (const bad of ["1", 5n, Symbol("x"), undefined, {}]) {
      expect(() => toPositive(bad as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    }
  });
});
