import { AdaptiveConcurrency } from "../../policy/AdaptiveConcurrency.js";
import type { Admission } from "../../policy/Admission.js";
import { composeAdmissions } from "../../policy/composeAdmissions.js";
import { rateLimiter, type RateLimiterOptions } from "../../policy/RateLimiter.js";
import type { StageSettings } from "../../stage/StageOptions.js";
import type { StageCounters } from "../../stats/StageCounters.js";
import type { RunScope } from "../RunScope.js";

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

function isAdmission(a: Admission | RateLimiterOptions): a is Admission {
  return typeof (a as Partial<Admission>).tryAcquire === "function";
}

/** A breaker that tells its name and state (a `circuitBreaker()`, or one shaped like it). */
function describable(a: Admission): a is Admission & { readonly name: string; readonly state: string } {
  const b = a as { name?: unknown; state?: unknown };
  return typeof b.name === "string" && typeof b.state === "string";
}

/**
 * Builds a stage's admission from its options: breaker, then rate limit, bulkhead and other
 * policies, then adaptive concurrency (created fresh for the run; a rate limit given as options
 * too). Binds every policy to the run's clock ({@link Admission.bindClock}: a breaker or limiter
 * created without a clock follows the run's; one on another time base fails the run with an
 * `InvalidOptionError`). Forwards breaker state changes and adaptive limit moves as run events,
 * and exposes the breaker's state and the limit in the stage's stats.
 */
export function stageAdmission(settings: StageSettings, counters: StageCounters, scope: RunScope): StageAdmission {
  const list: Admission[] = [];
  const offs: Array<() => void> = [];
  const stage = counters.name;
  // Bind before subscribing to anything: a refusal (clocks that disagree) leaves nothing behind.
  const given = [settings.breaker, settings.rateLimit, settings.bulkhead, ...settings.admissions];
  for (const a of given) if (a !== undefined && isAdmission(a)) a.bindClock?.(scope.clock);
  const use = (a: Admission): void => {
    list.push(a);
  };
  if (settings.breaker !== undefined) {
    const breaker = settings.breaker;
    use(breaker);
    let opens = 0;
    if (observable(breaker)) {
      offs.push(
        breaker.on("state", (e) => {
          if (e.to === "open") opens++;
          if (scope.events.has("stage:breaker")) {
            scope.events.emit("stage:breaker", {
              stage,
              breaker: String(e.breaker),
              from: String(e.from),
              to: String(e.to),
              reason: String(e.reason),
            });
          }
        }),
      );
    }
    if (describable(breaker)) counters.breaker = () => ({ name: breaker.name, state: breaker.state, opens });
  }
  if (settings.rateLimit !== undefined) {
    const r = settings.rateLimit;
    if (isAdmission(r)) use(r);
    else {
      const own = rateLimiter(r, scope.clock.now());
      own.bindClock(scope.clock);
      use(own);
    }
  }
  if (settings.bulkhead !== undefined) use(settings.bulkhead);
  for (const a of settings.admissions) use(a);
  counters.limit = () => settings.concurrency;
  if (settings.adaptive !== undefined) {
    const adaptive = new AdaptiveConcurrency(settings.adaptive, { loopDelay: () => counters.loopDelayMs() });
    list.push(adaptive);
    counters.limit = () => adaptive.limit;
    offs.push(
      adaptive.on("limit", (e) => {
        if (scope.events.has("stage:limit")) {
          scope.events.emit("stage:limit", {
            stage,
            previous: e.previous,
            limit: e.limit,
            reason: e.reason,
            latencyMs: e.latencyMs,
          });
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
