import { AdaptiveConcurrency } from "../policy/AdaptiveConcurrency.js";
import type { Admission } from "../policy/Admission.js";
import { composeAdmissions } from "../policy/composeAdmissions.js";
import { rateLimiter, type RateLimiterOptions } from "../policy/RateLimiter.js";
import type { StageSettings } from "../stage/StageOptions.js";
import type { StageCounters } from "../stats/StageCounters.js";
import type { RunScope } from "./RunScope.js";

/** What a stage's flow-control options become for one run. */
export interface StageAdmission {
  /** The composed admission, or undefined when the stage has no policy. */
  readonly admission: Admission | undefined;
  /** Unsubscribes the run from the policies' events (policies may be shared and outlive the run). */
  readonly dispose: () => void;
}

interface Observable {
  on(type: string, handler: (e: Record<string, unknown>) => void): () => void;
}

function observable(a: Admission): a is Admission & Observable {
  return typeof (a as Partial<Observable>).on === "function";
}

/**
 * Builds a stage's admission from its options: breaker, then rate limit, bulkhead and other
 * policies, then adaptive concurrency (created fresh for the run; a rate limit given as options
 * too). Forwards breaker state changes and adaptive limit moves as run events, and exposes the
 * limit in the stage's stats.
 */
export function stageAdmission(settings: StageSettings, counters: StageCounters, scope: RunScope): StageAdmission {
  const list: Admission[] = [];
  const offs: Array<() => void> = [];
  const stage = counters.name;
  if (settings.breaker !== undefined) {
    list.push(settings.breaker);
    if (observable(settings.breaker)) {
      offs.push(
        settings.breaker.on("state", (e) => {
          if (scope.events.has("stage:breaker")) {
            scope.events.emit("stage:breaker", { stage, breaker: String(e.breaker), from: String(e.from), to: String(e.to), reason: String(e.reason) });
          }
        }),
      );
    }
  }
  if (settings.rateLimit !== undefined) {
    const r = settings.rateLimit;
    list.push(typeof (r as Admission).tryAcquire === "function" ? (r as Admission) : rateLimiter(r as RateLimiterOptions, scope.clock.now()));
  }
  if (settings.bulkhead !== undefined) list.push(settings.bulkhead);
  list.push(...settings.admissions);
  counters.limit = () => settings.concurrency;
  if (settings.adaptive !== undefined) {
    const adaptive = new AdaptiveConcurrency(settings.adaptive);
    list.push(adaptive);
    counters.limit = () => adaptive.limit;
    offs.push(
      adaptive.on("limit", (e) => {
        if (scope.events.has("stage:limit")) {
          scope.events.emit("stage:limit", { stage, previous: e.previous, limit: e.limit, reason: e.reason, latencyMs: e.latencyMs });
        }
      }),
    );
  }
  return {
    admission: list.length === 0 ? undefined : composeAdmissions(list),
    dispose: () => {
      for (const off of offs) off();
    },
  };
}
