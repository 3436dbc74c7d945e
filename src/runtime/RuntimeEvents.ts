import type { HealthReport } from "./HealthStatus.js";

/** Events a runtime emits; subscribe with `app.on(type, handler)`. */
export interface RuntimeEvents {
  /** A component started. */
  "component:started": { readonly component: string; readonly attempts: number; readonly durationMs: number };
  /** A component failed to start (after its retries), to stop, or was skipped because a dependency did not start. */
  "component:failed": { readonly component: string; readonly phase: "start" | "stop"; readonly error: unknown };
  /** A component stopped. */
  "component:stopped": { readonly component: string; readonly durationMs: number };
  /** The overall health changed (also emitted for the first check). */
  "runtime:health": HealthReport;
  /** A process signal arrived; the runtime is stopping with the grace period. */
  "runtime:signal": { readonly signal: string; readonly graceMs: number };
}
