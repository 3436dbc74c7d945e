import { TimeoutError } from "../errors/TimeoutError.js";
import type { Clock } from "../time/Clock.js";

/**
 * Calls `fn` with a signal that aborts after `timeoutMs` on `clock`, or when `outer` aborts;
 * resolves with its result, or rejects with its error, the {@link TimeoutError} (when time runs
 * out first) or `outer`'s reason. A synchronous throw rejects. The timer and the listener on
 * `outer` are always removed.
 */
export function callWithTimeout<T>(
  what: string,
  clock: Clock,
  timeoutMs: number,
  fn: (signal: AbortSignal) => T | PromiseLike<T>,
  outer?: AbortSignal,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const controller = new AbortController();
    let done = false;
    const settle = (ok: boolean, value: unknown): void => {
      if (done) return;
      done = true;
      timer.cancel();
      outer?.removeEventListener("abort", onOuterAbort);
      if (!ok) controller.abort(value);
      if (ok) resolve(value as T);
      else reject(value);
    };
    const onOuterAbort = (): void => settle(false, outer?.reason);
    const timer = clock.setTimer(() => settle(false, new TimeoutError(what, timeoutMs)), timeoutMs);
    if (outer?.aborted) {
      settle(false, outer.reason);
      return;
    }
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    try {
      Promise.resolve(fn(controller.signal)).then(
        (v) => settle(true, v),
        (e: unknown) => settle(false, e),
      );
    } catch (error) {
      settle(false, error);
    }
  });
}
