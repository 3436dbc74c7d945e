import type { Clock } from "../time/Clock.js";
import { callWithTimeout } from "./callWithTimeout.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";

/** What {@link startInstance} needs from the runtime. */
export interface StartHost {
  readonly clock: Clock;
  /** Stops an instance nobody will use (a start that completed after it was given up). */
  discard(c: ComponentDefinition, instance: unknown): void;
}

/**
 * Starts component `c` once, outside start-up (a restart): its dependencies must be running
 * (their instances are its `deps`), within its start timeout or until `signal` aborts. An
 * instance that arrives after the timeout or the abort is discarded (stopped), never leaked.
 */
export async function startInstance(
  c: ComponentDefinition,
  instances: ReadonlyMap<string, unknown>,
  attempt: number,
  signal: AbortSignal,
  host: StartHost,
): Promise<unknown> {
  const deps: Record<string, unknown> = {};
  for (const d of c.dependsOn) {
    if (!instances.has(d)) throw new Error(`dependency "${d}" is not running`);
    deps[d] = instances.get(d);
  }
  let started: Promise<unknown> | undefined;
  try {
    return await callWithTimeout(
      `component "${c.name}" start`,
      host.clock,
      c.startTimeoutMs,
      (attemptSignal) => {
        started = Promise.resolve(c.spec.start({ deps, signal: attemptSignal, attempt, name: c.name }));
        return started;
      },
      signal,
    );
  } catch (error) {
    started?.then(
      (late) => host.discard(c, late),
      () => undefined,
    );
    throw error;
  }
}
