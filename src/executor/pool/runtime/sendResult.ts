import { serializeError } from "../wire/SerializedError.js";
import type { FailedItem, ResultMessage } from "../wire/WireMessage.js";
import type { ChainContext } from "./ChainRunner.js";
import type { WorkerPort } from "./WorkerPort.js";

/**
 * Sends a batch's result. When some values cannot cross to the parent, those items fail alone
 * (with the encoder's error, which the parent rebuilds as a coded error naming stage and item)
 * and the others are sent.
 */
export function sendResult(port: WorkerPort, reply: ResultMessage): void {
  const v = reply.v;
  try {
    port.send(reply, v);
  } catch {
    const errors = reply.e ?? [];
    const failed = new Set(errors.map(([k]) => k));
    for (let k = 0; k < v.length; k++) {
      if (failed.has(k)) continue;
      try {
        port.check(v[k]);
      } catch (error) {
        errors.push([k, serializeError(error)]);
        v[k] = undefined;
      }
    }
    port.send({ ...reply, e: errors }, v);
  }
}

/**
 * The failure of item `k`: under the chain's stage, or, when a later stage of a colocated chain
 * threw, under that stage with the value it was given (left out when it cannot cross back). No
 * `ctx`: a chain of one stage that does not read it.
 */
export function failedItem(
  port: WorkerPort,
  k: number,
  error: unknown,
  ctx: ChainContext | undefined,
  chainStage: string,
): FailedItem {
  const serialized = serializeError(error);
  if (ctx === undefined || ctx.stage === chainStage) return [k, serialized];
  const input = ctx._input;
  try {
    port.check(input);
  } catch {
    return [k, serialized, ctx.stage];
  }
  return [k, serialized, ctx.stage, input];
}
