import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import type { Clock } from "../time/Clock.js";
import { callWithTimeout } from "./callWithTimeout.js";
import { func, knownKeys, nonEmptyString, oneOf, optional, plainObject, positiveNumber } from "../options/validate.js";
import { optionKeys } from "../options/optionKeys.js";

/** What a shutdown hook receives. */
export interface ShutdownContext<R> {
  /** Aborts on the hook's timeout, or when the stop's grace period runs out. */
  readonly signal: AbortSignal;
  /** The hook's name. */
  readonly name: string;
  /** The instances of the components still running when the hook starts, by name. */
  readonly components: Readonly<Partial<R>>;
}

/** A cleanup step run when the runtime stops. */
export type ShutdownHook<R> = (ctx: ShutdownContext<R>) => unknown;

/**
 * Options of a shutdown hook.
 *
 * @example
 * ```ts
 * app.onShutdown("flush", () => buffer.flush(), { priority: 20, timeoutMs: 2_000 });
 * ```
 */
export interface ShutdownHookOptions {
  /**
   * Higher runs first; hooks of equal priority (in one phase) run in parallel, and a priority
   * level starts once the level above it has ended (completed, failed or timed out).
   * @default 0
   * @example `{ priority: 100 }` (close network listeners before anything else)
   */
  readonly priority?: number;
  /**
   * Limit for this hook, in ms: past it the hook's signal aborts and it is reported as failed
   * (the next ones go on). The stop's grace period bounds every hook as well.
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Run before any component stops (`"before-components"`: instances are still usable), or
   * after every component stopped (`"after-components"`: close the files they wrote to).
   * @default "before-components"
   */
  readonly phase?: "before-components" | "after-components";
}

/** A shutdown hook, validated, with every option filled in. */
export interface ShutdownHookDefinition {
  readonly name: string;
  readonly run: ShutdownHook<Record<string, unknown>>;
  readonly priority: number;
  readonly timeoutMs: number;
  readonly phase: "before-components" | "after-components";
}

/** Shutdown hook defaults. */
export const shutdownHookDefaults = Object.freeze({
  priority: 0,
  timeoutMs: 5_000,
  phase: "before-components" as const,
});

/** Validates a shutdown hook against those added before it (names are unique among hooks). */
export function shutdownHookDefinition(
  name: unknown,
  hook: unknown,
  options: unknown,
  known: ReadonlyMap<string, ShutdownHookDefinition>,
): ShutdownHookDefinition {
  const where = "runtime";
  const n = nonEmptyString(name, "shutdown hook name", where);
  if (known.has(n)) throw new InvalidOptionError("shutdown hook name", "a name no other hook has", n, where);
  const at = `shutdown hook "${n}"`;
  const run = func<ShutdownHook<Record<string, unknown>>>(hook, "hook", at);
  const o = plainObject(options ?? {}, "options", at);
  knownKeys(o, optionKeys<ShutdownHookOptions>()("priority", "timeoutMs", "phase"), "", at);
  return Object.freeze({
    name: n,
    run,
    priority: optional(o.priority, shutdownHookDefaults.priority, (v) => {
      if (typeof v !== "number" || !Number.isFinite(v))
        throw new InvalidOptionError("priority", "a finite number", v, at);
      return v;
    }),
    timeoutMs: optional(o.timeoutMs, shutdownHookDefaults.timeoutMs, (v) => positiveNumber(v, "timeoutMs", at)),
    phase: optional(o.phase, shutdownHookDefaults.phase, (v) =>
      oneOf(v, ["before-components", "after-components"] as const, "phase", at),
    ),
  });
}

/** Runs hook `h` within its timeout on `clock` (or until `outer` aborts), given the running instances. */
export function runShutdownHook(
  h: ShutdownHookDefinition,
  instances: ReadonlyMap<string, unknown>,
  clock: Clock,
  outer: AbortSignal,
): Promise<unknown> {
  return callWithTimeout(
    `shutdown hook "${h.name}"`,
    clock,
    h.timeoutMs,
    (signal) => h.run({ signal, name: h.name, components: Object.freeze(Object.fromEntries(instances)) }),
    outer,
  );
}
