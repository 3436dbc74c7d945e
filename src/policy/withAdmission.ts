import { systemClock } from "../time/Clock.js";
import { cancelledOutcome, type Admission } from "./Admission.js";
import { acquire, type AcquireOptions } from "./acquire.js";
import { retryAfterMs } from "./retryAfterMs.js";

/**
 * Runs `fn(item)` under `admission`: waits to be admitted ({@link acquire}), runs, releases with
 * the outcome and latency, and reports a Retry-After carried by a failure through `penalize`. A
 * failure after `options.signal` aborted is released as cancelled (it counts as no outcome).
 * Returns what `fn` returns; rethrows what it throws. For workflows, scripts and benchmarks; the
 * stage runner applies admissions itself.
 *
 * @example
 * ```ts
 * const db = bulkhead({ name: "db", limit: 8 });
 * await Promise.all(rows.map((row) => withAdmission(db, row, insert)));
 * ```
 */
export async function withAdmission<I, R>(
  admission: Admission<I>,
  item: I,
  fn: (item: I) => R | Promise<R>,
  options: AcquireOptions = {},
): Promise<R> {
  const clock = options.clock ?? systemClock;
  await acquire(admission, item, options);
  const started = clock.now();
  try {
    const result = await fn(item);
    const now = clock.now();
    admission.release(item, { ok: true, latencyMs: now - started }, now);
    return result;
  } catch (error) {
    const now = clock.now();
    if (options.signal?.aborted === true) {
      admission.release(item, cancelledOutcome(error, now - started), now);
      throw error;
    }
    admission.release(item, { ok: false, error, latencyMs: now - started }, now);
    const ms = retryAfterMs(error);
    if (ms !== undefined) admission.penalize?.(item, ms, now);
    throw error;
  }
}
