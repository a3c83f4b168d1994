// The payment handler exactly as the course teaches it: GET payment:<id>; if absent, charge, then
// SETEX payment:<id>. A crash between the charge and the SETEX charges the card twice. Fixed: the
// gateway takes an idempotency key and claims it atomically (SET NX) before it charges. The
// scenario lives in src/cli/demo-payment.ts because `npm start` shows it too.
import { PAYMENT_FAULTS, paymentScenario } from "brokerlab/demos";
import type { ZooEntry } from "./harness.js";

export const paymentSetex: ZooEntry = {
  name: "payment-setex",
  bug: "check payment:<id>, charge, then SETEX: a crash between charge and SETEX charges twice",
  fix: "the gateway claims the idempotency key atomically before charging",
  expect: { guarantee: "exactly-once" },
  faults: PAYMENT_FAULTS,
  buggy: paymentScenario(false),
  fixed: paymentScenario(true),
};
