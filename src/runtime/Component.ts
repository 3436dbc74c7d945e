import type { RetryOptions } from "../policy/retry.js";
import type { HealthCheckResult } from "./HealthStatus.js";
import type { UnhealthyAction, UnhealthyOptions } from "./UnhealthyPolicy.js";

/** What a component's `start` receives. */
export interface StartContext<Deps> {
  /** The started instances of the components in `dependsOn`, by name. */
  readonly deps: Readonly<Deps>;
  /** Aborts on start timeout, or when start-up is aborted (a critical component failed, or stop()). */
  readonly signal: AbortSignal;
  /** 1 on the first attempt, 2 on the first retry, and so on. */
  readonly attempt: number;
  /** The component's name. */
  readonly name: string;
}

/** What a component's `stop` and `health` receive. */
export interface ComponentContext {
  /** Aborts on the step's timeout (or when the stop grace period runs out). */
  readonly signal: AbortSignal;
  readonly name: string;
}

/**
 * A component of a runtime: something with a life cycle (a database pool, an HTTP server, a
 * queue consumer). `start` returns the instance dependents receive; `stop` and `health` get it back.
 *
 * @example
 * ```ts
 * app.component("db", {
 *   start: async ({ signal }) => connect(url, { signal }),
 *   stop: (db) => db.close(),
 *   health: async (db) => ((await db.ping()) ? "healthy" : "unhealthy"),
 *   startTimeoutMs: 5_000,
 *   retry: { attempts: 5 },
 * });
 * ```
 */
export interface ComponentSpec<Deps, T, D extends readonly string[] = readonly string[]> {
  /**
   * Components that must be started first; their instances are in `ctx.deps`.
   * @default [] (starts at once)
   * @example `{ dependsOn: ["db", "cache"] }`
   */
  readonly dependsOn?: D;
  /**
   * A critical component that fails to start aborts start-up (`start()` rejects after stopping
   * what started); an optional one (`false`) degrades it: start-up goes on without it and its
   * optional dependents.
   * @default true
   * @example `{ critical: false }`
   */
  readonly critical?: boolean;
  /**
   * Among components whose dependencies are met, higher starts first (it matters when more are
   * ready than `concurrency` allows).
   * @default 0
   * @example `{ priority: 10 }`
   */
  readonly priority?: number;
  /**
   * What the runtime does when the health check fails `after` times in a row: `"restart"` it
   * (stop, start again, with backoff and a cap), `"restart-dependents"` (the same, its running
   * dependents stopped before it and started after it), or `"stop-runtime"`. Needs `health`.
   * @default nothing (an unhealthy component stays unhealthy)
   * @example `{ onUnhealthy: { action: "restart", after: 3, restarts: { attempts: 5, baseMs: 1_000 } } }`
   */
  readonly onUnhealthy?: UnhealthyAction | UnhealthyOptions;
  /** Starts the component; the value is its instance. A start that resolves after its timeout is stopped. */
  start(ctx: StartContext<Deps>): T | PromiseLike<T>;
  /** Stops the instance. Each stop is isolated: a failure is reported, the others still run. */
  stop?(instance: T, ctx: ComponentContext): unknown;
  /** Checks the instance: a status, or `{ status, detail }`. A throw or a timeout counts as unhealthy. */
  health?(instance: T, ctx: ComponentContext): HealthCheckResult | PromiseLike<HealthCheckResult>;
  /**
   * Limit per start attempt, in ms.
   * @default 30000
   * @example `{ startTimeoutMs: 5_000 }`
   */
  readonly startTimeoutMs?: number;
  /**
   * Limit for stop, in ms.
   * @default 10000
   */
  readonly stopTimeoutMs?: number;
  /**
   * Limit per health check, in ms.
   * @default 5000
   */
  readonly healthTimeoutMs?: number;
  /**
   * Retries of `start` (exponential backoff with jitter on the runtime's clock); a number means `{ attempts }`.
   * @default no retry
   * @example `{ retry: { attempts: 5, baseMs: 500 } }`
   */
  readonly retry?: RetryOptions | number;
}

/** Component defaults. */
export const componentDefaults = Object.freeze({
  critical: true,
  priority: 0,
  startTimeoutMs: 30_000,
  stopTimeoutMs: 10_000,
  healthTimeoutMs: 5_000,
});
