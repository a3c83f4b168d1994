import { describe, expect, it } from "vitest";
import * as callbackApi from "../../../src/compat/amqplib/callback_api.js";
import { connect } from "../../../src/compat/amqplib/index.js";
import { Simulation } from "../../../src/scheduler/simulation.js";

describe("amqplib's underlying connection object (model.connection, channel.connection)", () => {
  it("has serverProperties and a callback close that closes the whole connection", async () => {
    const sim = new Simulation({ seed: 1, drive: "auto" });
    const model = await connect("amqp://localhost", { simulation: sim });
    const channel = await model.createChannel();
    expect(channel.connection).toBe(model.connection);
    expect(model.connection.serverProperties.version).toBe("3.10.8");
    const closed = new Promise<Error | null>((resolve) => model.connection.close(resolve));
    expect(await closed).toBeNull();
    expect(channel.closed).toBe(true);
    // Closing again reports the error to the callback, as amqplib's raw close does.
    const again = await new Promise<Error | null>((resolve) => model.connection.close(resolve));
    expect(again).toBeInstanceOf(Error);
    expect(() => model.connection.close("nope" as never)).toThrow(TypeError);
    sim.close();
  });

  it("a callback-API confirm channel shows amqplib's unconfirmed list, emptied on close", async () => {
    const sim = new Simulation({ seed: 1, drive: "auto" });
    const model = await new Promise<callbackApi.CallbackModel>((resolve, reject) =>
      callbackApi.connect("amqp://localhost", { simulation: sim }, (error, c) =>
        error ? reject(error) : resolve(c as callbackApi.CallbackModel),
      ),
    );
    const channel = await new Promise<callbackApi.ConfirmChannel>((resolve, reject) =>
      model.createConfirmChannel((error, ch) =>
        error ? reject(error) : resolve(ch as callbackApi.ConfirmChannel),
      ),
    );
    channel.publish("", "nowhere", Buffer.from("x"), {}, () => {});
    expect(channel.unconfirmed.length).toBe(1);
    await new Promise<void>((resolve) => channel.close(() => resolve()));
    expect(channel.unconfirmed.length).toBe(0);
    channel.connection.close(() => {});
    sim.close();
  });
});

describe("Node EventEmitter methods on facade objects", () => {
  it("prependListener and prependOnceListener run before earlier listeners, with the object as this", async () => {
    const sim = new Simulation({ seed: 1, drive: "auto" });
    const model = await connect("amqp://localhost", { simulation: sim });
    const order: string[] = [];
    model.on("blocked", () => order.push("first"));
    model.prependListener("blocked", function (this: unknown) {
      order.push(this === model ? "prepended" : "wrong this");
    });
    model.prependOnceListener("blocked", () => order.push("once"));
    model.emit("blocked", "low on memory");
    model.emit("blocked", "low on memory");
    expect(order).toEqual(["once", "prepended", "first", "prepended", "first"]);
    expect(model.rawListeners("blocked")).toHaveLength(2);
    model.prependListener("unblocked", () => order.push("only"));
    model.emit("unblocked");
    expect(order.at(-1)).toBe("only");
    expect(() => model.prependListener("x", 5 as never)).toThrow(TypeError);
    await model.close();
    sim.close();
  });

  it("on a callback-API channel, prepended listeners see the callback channel as this", async () => {
    const sim = new Simulation({ seed: 1, drive: "auto" });
    const model = await new Promise<callbackApi.CallbackModel>((resolve, reject) =>
      callbackApi.connect("amqp://localhost", { simulation: sim }, (error, c) =>
        error ? reject(error) : resolve(c),
      ),
    );
    const channel = await new Promise<callbackApi.Channel>((resolve, reject) =>
      model.createChannel((error, ch) => (error ? reject(error) : resolve(ch))),
    );
    const seen: unknown[] = [];
    channel.on("drain", () => seen.push("on"));
    channel.prependListener("drain", function (this: unknown) {
      seen.push(this === channel);
    });
    channel.emit("drain");
    expect(seen).toEqual([true, "on"]);
    expect(channel.rawListeners("drain")).toHaveLength(2);
    model.close();
    sim.close();
  });
});
