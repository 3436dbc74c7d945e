import type { WeirError } from "../errors/WeirError.js";
import { neutralOutcome, type Admission, type AdmissionOutcome } from "./Admission.js";

/**
 * Stacks admissions into one: an item is admitted only when every one admits it, tried in order.
 * When one refuses, those already acquired are rolled back with {@link neutralOutcome} (they
 * record nothing), the rest are probed the same way, and the largest wait is returned, so the
 * caller does not wake up for a short wait only to meet a long one. `release` and `penalize` go
 * to every member; `onChange` subscribes to all; `refusal` explains the last refusal seen for the
 * item's wait (the member that asked for the longest wait).
 *
 * Order matters only for cost: put the cheapest and most often refusing first (e.g. a breaker,
 * then a rate limiter, then a bulkhead).
 *
 * @example
 * ```ts
 * const admission = composeAdmissions([breaker, apiQuota, bulkhead({ name: "db", limit: 8 })]);
 * ```
 */
export function composeAdmissions<I>(list: readonly Admission<I>[]): Admission<I> {
  const members = [...list];
  if (members.length === 1) return members[0]!;
  let lastRefusing: Admission<I> | undefined;

  function tryAcquire(item: I, now: number): number {
    let wait = 0;
    let acquired = 0;
    let refusing: Admission<I> | undefined;
    for (const member of members) {
      const w = member.tryAcquire(item, now);
      if (w === 0) {
        acquired++;
        if (wait > 0) {
          // Probing past a refusal: undo at once.
          member.release(item, neutralOutcome, now);
        }
        continue;
      }
      if (wait === 0) {
        // First refusal: roll back everything acquired so far.
        for (let k = 0; k < acquired; k++) members[k]!.release(item, neutralOutcome, now);
      }
      if (w > wait) {
        wait = w;
        refusing = member;
      }
    }
    lastRefusing = refusing;
    return wait;
  }

  function release(item: I, outcome: AdmissionOutcome, now: number): void {
    for (const member of members) member.release(item, outcome, now);
  }

  function penalize(item: I, ms: number, now: number): void {
    for (const member of members) member.penalize?.(item, ms, now);
  }

  function onChange(listener: () => void): () => void {
    const offs = members.map((m) => m.onChange(listener));
    return () => {
      for (const off of offs) off();
    };
  }

  const explaining = members.filter((m) => m.refusal !== undefined);
  if (explaining.length === 0) return { tryAcquire, release, penalize, onChange };

  function refusal(item: I, now: number): WeirError {
    const member = lastRefusing?.refusal !== undefined ? lastRefusing : explaining[0]!;
    return member.refusal!(item, now);
  }

  return { tryAcquire, release, penalize, onChange, refusal };
}
