import type { Clock } from "../time/Clock.js";
import { callWithTimeout } from "./callWithTimeout.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";

/**
 * Stops one instance of `c` within its stop timeout on `clock`, or until `outer` aborts; resolves
 * at once for a component without `stop`. Rejects with its error or the timeout.
 */
export function stopInstance(
  c: ComponentDefinition,
  instance: unknown,
  clock: Clock,
  outer?: AbortSignal,
): Promise<unknown> {
  const stop = c.spec.stop;
  if (stop === undefined) return Promise.resolve();
  return callWithTimeout(
    `component "${c.name}" stop`,
    clock,
    c.stopTimeoutMs,
    (signal) => stop(instance, { signal, name: c.name }),
    outer,
  );
}
