import { describe, expect, it } from "vitest";
import { accessControlFor, brokerFor, connect, credentials } from "../../../src/compat/amqplib/index.js";
import type { AmqpError } from "../../../src/exchange/amqp-error.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

const LOGIN_REFUSED = (mechanism: string) =>
  `Handshake terminated by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - Login was refused using authentication mechanism ${mechanism}. For details see the broker logfile."`;
const VHOST_REFUSED = "Expected ConnectionOpenOk; got <ConnectionClose channel:0>";

/** A manual-mode simulation with user `worker`/`pw` limited to `jobs*` on `/`. */
function node() {
  const sim = new Simulation({ start: 0, seed: 1 });
  const access = accessControlFor(sim);
  access.addUser("worker", "p@ss");
  access.setPermissions("worker", "/", { configure: "^jobs", write: "^jobs", read: "^jobs" });
  return { sim, access };
}

describe("logging in through the amqplib facade, as amqplib reports it against RabbitMQ 3.10", () => {
  it("the default guest/guest login works on a fresh node; URL and credentials logins are checked", async () => {
    const { sim } = node();
    expect((await connect("amqp://localhost", { simulation: sim })).native.user).toBe("guest");
    const escaped = await connect("amqp://worker:p%40ss@localhost/%2f", { simulation: sim });
    expect(escaped.native.user).toBe("worker");
    const viaObject = await connect(
      { hostname: "localhost", username: "worker", password: "p@ss" },
      { simulation: sim },
    );
    expect(viaObject.native.user).toBe("worker");
    const plain = await connect("amqp://localhost", {
      simulation: sim,
      credentials: credentials.plain("worker", "p@ss"),
    });
    expect(plain.native.user).toBe("worker");
    const amqplain = await connect("amqp://localhost", {
      simulation: sim,
      credentials: credentials.amqplain("worker", "p@ss"),
    });
    expect(amqplain.native.user).toBe("worker");
    // A hand-made PLAIN response ("\0user\0password"), as amqplib would send it.
    const handMade = {
      mechanism: "PLAIN",
      response: () => new TextEncoder().encode("\u0000worker\u0000p@ss"),
    };
    expect((await connect("amqp://localhost", { simulation: sim, credentials: handMade })).native.user).toBe(
      "worker",
    );
  });

  it("a wrong password, an unknown or empty user: rejected with amqplib's 403 handshake message", async () => {
    const { sim } = node();
    const cases: Array<[string | Record<string, unknown>, Record<string, unknown>, string]> = [
      ["amqp://guest:nope@localhost", {}, "PLAIN"],
      ["amqp://nobody:x@localhost", {}, "PLAIN"],
      ["amqp://:x@localhost", {}, "PLAIN"],
      ["amqp://worker@localhost", {}, "PLAIN"], // no password: ""
      [{ hostname: "localhost", username: "guest", password: "bad" }, {}, "PLAIN"],
      ["amqp://localhost", { credentials: credentials.plain("guest", "bad") }, "PLAIN"],
      ["amqp://localhost", { credentials: credentials.amqplain("guest", "bad") }, "AMQPLAIN"],
    ];
    for (const [url, options, mechanism] of cases) {
      const error = await connect(url as string, { simulation: sim, ...options }).then(
        () => null,
        (e: Error) => e,
      );
      expect(error?.message).toBe(LOGIN_REFUSED(mechanism));
      expect((error!.cause as AmqpError).code).toBe("ACCESS_REFUSED");
    }
    expect(brokerFor(sim).connections).toHaveLength(0);
  });

  it("EXTERNAL is not offered by a stock RabbitMQ", async () => {
    const { sim } = node();
    await expect(
      connect("amqp://localhost", { simulation: sim, credentials: credentials.external() }),
    ).rejects.toThrow(/^SASL mechanism EXTERNAL is not provided by the server$/);
  });

  it("an unknown vhost, or one without permissions: amqplib's 'Expected ConnectionOpenOk' (a 530 underneath)", async () => {
    const { sim, access } = node();
    const unknown = await connect("amqp://guest:guest@localhost/nope", { simulation: sim }).catch(
      (e: Error) => e,
    );
    expect((unknown as Error).message).toBe(VHOST_REFUSED);
    expect(((unknown as Error).cause as AmqpError).replyText).toBe(
      "NOT_ALLOWED - access to vhost 'nope' refused for user 'guest'",
    );
    access.addVhost("staging");
    const denied = await connect("amqp://worker:p%40ss@localhost/staging", { simulation: sim }).catch(
      (e: Error) => e,
    );
    expect((denied as Error).message).toBe(VHOST_REFUSED);
    access.setPermissions("worker", "staging", { configure: ".*", write: ".*", read: ".*" });
    const allowed = await connect("amqp://worker:p%40ss@localhost/staging", { simulation: sim });
    expect(allowed.broker.vhost).toBe("staging");
    expect(allowed.broker).not.toBe(brokerFor(sim, "/"));
    expect(allowed.broker.access).toBe(brokerFor(sim, "/").access);
  });
});

describe("operations without permission through the facade", () => {
  it("a refused declare closes the channel with amqplib's 403 message and RabbitMQ's text", async () => {
    const { sim } = node();
    const connection = await connect("amqp://worker:p%40ss@localhost", { simulation: sim });
    const channel = await connection.createChannel();
    const errors: string[] = [];
    channel.on("error", (error: Error) => errors.push(error.message));
    expect((await channel.assertQueue("jobs.eu")).queue).toBe("jobs.eu");
    await expect(channel.assertQueue("orders")).rejects.toThrow(
      `Operation failed: QueueDeclare; 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to queue 'orders' in vhost '/' refused for user 'worker'"`,
    );
    await sim.run(); // manual mode: the close reaches listeners when the test drives the simulation
    expect(errors).toEqual([
      `Channel closed by server: 403 (ACCESS-REFUSED) with message "ACCESS_REFUSED - access to queue 'orders' in vhost '/' refused for user 'worker'"`,
    ]);
    expect(brokerFor(sim).getQueue("orders")).toBeUndefined();
  });

  it("publishing to the default exchange needs write on 'amq.default'", async () => {
    const { sim, access } = node();
    const connection = await connect("amqp://worker:p%40ss@localhost", { simulation: sim });
    const channel = await connection.createChannel();
    await channel.assertQueue("jobs");
    const errors: string[] = [];
    channel.on("error", (error: Error) => errors.push(error.message));
    expect(channel.sendToQueue("jobs", Buffer.from("x"))).toBe(true);
    await sim.run();
    expect(errors[0]).toContain(
      "ACCESS_REFUSED - access to exchange 'amq.default' in vhost '/' refused for user 'worker'",
    );
    access.setPermissions("worker", "/", {
      configure: "^jobs",
      write: "^jobs|^amq\\.default$",
      read: "^jobs",
    });
    const again = await connection.createChannel();
    again.sendToQueue("jobs", Buffer.from("x"));
    await sim.run();
    expect(brokerFor(sim).getQueue("jobs")!.ready).toBe(1);
    expect(await again.get("jobs")).not.toBe(false);
  });
});
