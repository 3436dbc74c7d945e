/** How a component (or the whole runtime) is doing. */
export type HealthStatus = "healthy" | "degraded" | "unhealthy";

/** What a health check may return: a status, or a status with a detail for humans. */
export type HealthCheckResult = HealthStatus | { readonly status: HealthStatus; readonly detail?: string };

/** One component's last health check. */
export interface ComponentHealth {
  readonly status: HealthStatus;
  /** What the check said, or why it failed (a thrown error, a timeout). */
  readonly detail: string | undefined;
  /** When it was checked (clock reading, ms). */
  readonly at: number;
}

/** The runtime's health: the worst that matters, and each component's. */
export interface HealthReport {
  /**
   * `unhealthy` when a critical component is unhealthy (or not running); `degraded` when any
   * component is degraded, or an optional one is unhealthy or failed to start; else `healthy`.
   */
  readonly status: HealthStatus;
  readonly components: Readonly<Record<string, ComponentHealth>>;
  readonly at: number;
}
