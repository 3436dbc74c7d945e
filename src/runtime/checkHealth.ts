import type { Clock } from "../time/Clock.js";
import { callWithTimeout } from "./callWithTimeout.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";
import type { ComponentHealth, HealthCheckResult, HealthReport, HealthStatus } from "./HealthStatus.js";

const rank: Record<HealthStatus, number> = { healthy: 0, degraded: 1, unhealthy: 2 };

/**
 * Checks every component once, in parallel, each within its `healthTimeoutMs`: a component not
 * running is unhealthy, one without a check healthy, a throw or a timeout unhealthy. The whole
 * is the worst that matters: an unhealthy optional component only degrades it.
 */
export async function checkHealth(
  components: Iterable<ComponentDefinition>,
  instances: ReadonlyMap<string, unknown>,
  clock: Clock,
): Promise<HealthReport> {
  const list = [...components];
  const entries = await Promise.all(
    list.map(async (c): Promise<[string, ComponentHealth]> => [c.name, await checkOne(c, instances, clock)]),
  );
  let status: HealthStatus = "healthy";
  for (const [i, [, h]] of entries.entries()) {
    const effect: HealthStatus = h.status === "unhealthy" && !list[i]!.critical ? "degraded" : h.status;
    if (rank[effect] > rank[status]) status = effect;
  }
  return Object.freeze({ status, components: Object.freeze(Object.fromEntries(entries)), at: clock.now() });
}

async function checkOne(
  c: ComponentDefinition,
  instances: ReadonlyMap<string, unknown>,
  clock: Clock,
): Promise<ComponentHealth> {
  if (!instances.has(c.name)) return { status: "unhealthy", detail: "not running", at: clock.now() };
  const check = c.spec.health;
  if (check === undefined) return { status: "healthy", detail: undefined, at: clock.now() };
  const instance = instances.get(c.name);
  try {
    const out = await callWithTimeout<HealthCheckResult>(
      `component "${c.name}" health check`,
      clock,
      c.healthTimeoutMs,
      (signal) => check(instance, { signal, name: c.name }),
    );
    const [status, detail] = typeof out === "string" ? [out, undefined] : [out.status, out.detail];
    if (!(status in rank))
      return { status: "unhealthy", detail: `invalid health status ${String(status)}`, at: clock.now() };
    return { status, detail, at: clock.now() };
  } catch (error) {
    return { status: "unhealthy", detail: error instanceof Error ? error.message : String(error), at: clock.now() };
  }
}
