import type { WeirError } from "../errors/WeirError.js";
import type { Clock } from "../time/Clock.js";
import { neutralOutcome, type Admission, type AdmissionOutcome } from "./Admission.js";

/**
 * Stacks admissions into one: an item is admitted only when every one admits it, tried in order.
 * When one refuses, those already acquired are rolled back with {@link neutralOutcome} (they
 * record nothing), the rest are probed the same way, and the largest wait is returned, so the
 * caller does not wake up for a short wait only to meet a long one. `release` and `bindClock` go
 * to every member, `penalize` to every member that takes penalties (the composition has
 * `penalize` only when one does); `onChange` subscribes to all; `refusal` explains the last
 * refusal seen for the item's wait (the member that asked for the longest wait); `keyedRefusal`
 * is true when every member that refused did so for the item's key alone.
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
  /** The members that refused in the last `tryAcquire` (reused: no allocation per call). */
  const refusers: Admission<I>[] = [];

  function tryAcquire(item: I, now: number): number {
    let wait = 0;
    let acquired = 0;
    let refusing: Admission<I> | undefined;
    refusers.length = 0;
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
      refusers.push(member);
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

  function onChange(listener: () => void): () => void {
    const offs = members.map((m) => m.onChange(listener));
    return () => {
      for (const off of offs) off();
    };
  }

  function keyedRefusal(item: I, now: number): boolean {
    if (refusers.length === 0) return false;
    for (const member of refusers) if (member.keyedRefusal?.(item, now) !== true) return false;
    return true;
  }

  function bindClock(clock: Clock): void {
    for (const member of members) member.bindClock?.(clock);
  }

  const composed: Admission<I> = { tryAcquire, release, onChange, keyedRefusal, bindClock };
  const penalized = members.filter((m) => m.penalize !== undefined);
  if (penalized.length > 0) {
    composed.penalize = (item: I, ms: number, now: number): void => {
      for (const member of penalized) member.penalize!(item, ms, now);
    };
  }
  const explaining = members.filter((m) => m.refusal !== undefined);
  if (explaining.length > 0) {
    composed.refusal = (item: I, now: number): WeirError => {
      const member = lastRefusing?.refusal !== undefined ? lastRefusing : explaining[0]!;
      return member.refusal!(item, now);
    };
  }
  return composed;
}
