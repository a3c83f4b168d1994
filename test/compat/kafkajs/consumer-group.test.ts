import { describe, expect, it } from "vitest";
import { rebalanceLag } from "../../../examples/consumer-group-rebalance.js";

describe("consumer group: rebalances and the lag they cause (examples/consumer-group-rebalance.ts)", () => {
  it("lag grows with one slow member, drains with two, climbs while a hung member holds partitions", async () => {
    const { samples, events } = await rebalanceLag();
    const lag = (s: number) => samples.find((x) => x.second === s)!.lag;
    // One member (125 msg/s) against 200 msg/s: lag grows.
    expect(lag(10)).toBeGreaterThan(lag(4));
    expect(lag(20)).toBeGreaterThan(lag(10));
    // B joins at 20 s; the group rebalances within a heartbeat interval, then both drain the backlog.
    expect(events).toContain("21.0s B joined: partitions 1,3,5");
    expect(lag(48)).toBeLessThan(lag(24) / 2);
    // B hangs at 50 s: its partitions stall until the 10 s session timeout evicts it, then A alone falls behind.
    expect(events).toContain("60.0s A joined: partitions 0,1,2,3,4,5");
    expect(lag(60)).toBeGreaterThan(lag(50) + 500);
    expect(lag(80)).toBeGreaterThan(lag(60));
    // B comes back after its call returns, rejoins as a new member, and the backlog drains again.
    expect(events).toContain("81.0s B joined: partitions 1,3,5");
    expect(lag(100)).toBeLessThan(lag(84));
  });

  it("is reproducible from the seed", async () => {
    expect(await rebalanceLag()).toEqual(await rebalanceLag());
  });
});
