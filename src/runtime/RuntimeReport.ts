/** How one component's start-up went. */
export interface ComponentStart {
  /** `started`; `failed` (after its retries); `skipped` (a dependency did not start); `cancelled` (start-up was aborted). */
  readonly status: "started" | "failed" | "skipped" | "cancelled";
  readonly critical: boolean;
  readonly attempts: number;
  readonly durationMs: number | undefined;
  readonly error: unknown;
}

/** What `start()` resolves with (it rejects when a critical component failed). */
export interface StartReport {
  /** `healthy` when every component started; `degraded` when an optional one did not. */
  readonly status: "healthy" | "degraded";
  readonly components: Readonly<Record<string, ComponentStart>>;
  readonly durationMs: number;
}

/** How one component's stop went. */
export interface ComponentStop {
  /** `stopped`; `failed` (stop threw or timed out); `abandoned` (the grace period ran out first). */
  readonly status: "stopped" | "failed" | "abandoned";
  readonly durationMs: number | undefined;
  readonly error: unknown;
}

/** How one shutdown hook went. */
export interface HookEnd {
  /** `completed`; `failed` (it threw or timed out: `error` says which); `abandoned` (the grace period ran out first). */
  readonly status: "completed" | "failed" | "abandoned";
  readonly durationMs: number | undefined;
  readonly error: unknown;
}

/** What `stop()` resolves with. It never rejects: each step is isolated and reported here. */
export interface StopReport {
  /** True when every started component stopped cleanly and every shutdown hook completed. */
  readonly ok: boolean;
  /** Started components only, by name. */
  readonly components: Readonly<Record<string, ComponentStop>>;
  /** Shutdown hooks, by name (none when the runtime was never started). */
  readonly hooks: Readonly<Record<string, HookEnd>>;
  readonly durationMs: number;
}
