import type { HealthReport } from "./HealthStatus.js";
import type { UnhealthyAction } from "./UnhealthyPolicy.js";

/** Events a runtime emits; subscribe with `app.on(type, handler)`. */
export interface RuntimeEvents {
  /** A component started (at start-up, or again in a restart). */
  "component:started": { readonly component: string; readonly attempts: number; readonly durationMs: number };
  /**
   * A component failed to start (after its retries; or a restart's start), to stop (at shutdown,
   * or a restart's stop), or was skipped because a dependency did not start.
   */
  "component:failed": { readonly component: string; readonly phase: "start" | "stop"; readonly error: unknown };
  /** A component stopped (at shutdown, or in a restart). */
  "component:stopped": { readonly component: string; readonly durationMs: number };
  /**
   * A component's health check failed `failures` times in a row (its `onUnhealthy.after`): the
   * runtime takes `action` now. `detail` is what the last check said.
   */
  "component:unhealthy": {
    readonly component: string;
    readonly failures: number;
    readonly detail: string | undefined;
    readonly action: UnhealthyAction;
  };
  /**
   * Healing restarts a component (attempt `attempt` in a row, after `delayMs` of backoff), because
   * `cause` failed its checks: the component itself, or a dependency under `"restart-dependents"`.
   */
  "component:restarting": {
    readonly component: string;
    readonly attempt: number;
    readonly delayMs: number;
    readonly cause: string;
  };
  /** A restarted component runs again (its new instance is what `get()` and dependents see). */
  "component:restarted": {
    readonly component: string;
    readonly attempt: number;
    readonly durationMs: number;
    readonly cause: string;
  };
  /**
   * Healing gave up on a component after `attempts` restarts in a row (or a restart failure its
   * `retryIf` refused): it is left as it is (`running`, unhealthy, or stopped when the last
   * restart could not start it) and healed no more until the runtime is started again.
   */
  "component:gave-up": {
    readonly component: string;
    readonly attempts: number;
    readonly running: boolean;
    readonly error: unknown;
  };
  /** A shutdown hook ended (completed, failed or abandoned when the grace period ran out). */
  "hook:end": {
    readonly hook: string;
    readonly status: "completed" | "failed" | "abandoned";
    readonly durationMs: number;
    readonly error: unknown;
  };
  /** The overall health changed (also emitted for the first check). */
  "runtime:health": HealthReport;
  /** A process signal arrived; the runtime is stopping with the grace period. */
  "runtime:signal": { readonly signal: string; readonly graceMs: number };
}
