import type { Operation, OperationType, OperationValue } from "../../src/semantics/operation.js";

/** Builds a hand-written history: each call appends one operation at the next index. */
export function builder() {
  const ops: Operation[] = [];
  let time = 0;
  const add = (process: string, type: OperationType, f: string, value: OperationValue = {}) => {
    ops.push({ index: ops.length, time: time++, process, type, f, value });
    return add;
  };
  const api = {
    ops,
    add,
    /** invoke + completion of a send. */
    send(process: string, id: string, type: OperationType = "ok", extra: OperationValue = {}) {
      add(process, "invoke", "send", { id, ...extra });
      if (type !== "invoke") add(process, type, "send", { id, ...extra });
      return api;
    },
    receive(process: string, id: string, extra: OperationValue = {}) {
      add(process, "invoke", "receive", { id, ...extra });
      add(process, "ok", "receive", { id, ...extra });
      return api;
    },
    effect(process: string, id: string, name = "process") {
      add(process, "invoke", "effect", { id, name });
      add(process, "ok", "effect", { id, name });
      return api;
    },
    event(process: string, f: string, value: OperationValue = {}) {
      add(process, "invoke", f, value);
      add(process, "ok", f, value);
      return api;
    },
  };
  return api;
}
