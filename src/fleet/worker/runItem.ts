import { performance } from "node:perf_hooks";
import { TimeoutError } from "../../errors/TimeoutError.js";
import { wantsArray, type HeldEntry } from "./HeldEntry.js";
import { ItemContext } from "./ItemContext.js";

/**
 * Runs item `k` of `entry` through its export and records the outcome on the entry. A
 * synchronous result (or throw) is recorded before it returns `false`. An asynchronous one (a
 * promise; an async iterable for a flatMap, collected) returns `true`: the item counts in
 * `entry.open` and `entry.running` until it settles, times out (the entry's `t`, from now: its
 * `ctx.signal` aborts with a `TimeoutError`) or is cancelled, and then `settled()` runs once.
 * A synchronous item that ran past the timeout is recorded as timed out.
 */
export function runItem(entry: HeldEntry, k: number, settled: () => void): boolean {
  const body = entry.body;
  const ctx = new ItemContext(body.s, entry.index(k), entry.attempt(k), body.K, body.KL?.[k]);
  const timeoutMs = body.t;
  const started = timeoutMs === null ? 0 : performance.now();
  let result: unknown;
  try {
    result = entry.service.fn(body.x[k], ctx);
    if (wantsArray(body) && isSyncIterable(result)) result = Array.from(result);
  } catch (error) {
    entry.noteRetryAfter(k, ctx);
    entry.reject(k, error);
    return false;
  }
  if (isThenable(result) || (wantsArray(body) && isAsyncIterable(result))) {
    runAsync(entry, k, ctx, result, timeoutMs, settled);
    return true;
  }
  entry.noteRetryAfter(k, ctx);
  if (timeoutMs !== null && performance.now() - started > timeoutMs) entry.timeout(k);
  else entry.resolve(k, result);
  return false;
}

function runAsync(
  entry: HeldEntry,
  k: number,
  ctx: ItemContext,
  result: unknown,
  timeoutMs: number | null,
  settled: () => void,
): void {
  entry.open++;
  entry.running.set(k, ctx);
  let timer: NodeJS.Timeout | undefined;
  let over = false;
  const end = (): void => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    entry.open--;
    entry.running.delete(k);
    entry.noteRetryAfter(k, ctx);
    settled();
  };
  if (timeoutMs !== null) {
    timer = setTimeout(() => {
      if (over) return;
      entry.timeout(k);
      ctx.cancel(new TimeoutError(`stage "${entry.body.s}" item ${ctx.index}`, timeoutMs));
      end();
    }, timeoutMs);
  }
  const promise = isThenable(result) ? Promise.resolve(result) : collect(result as AsyncIterable<unknown>);
  promise.then(
    (value) => {
      if (!over) entry.resolve(k, wantsArray(entry.body) && isSyncIterable(value) ? Array.from(value) : value);
      end();
    },
    (error: unknown) => {
      if (!over) entry.reject(k, error);
      end();
    },
  );
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as PromiseLike<unknown>).then === "function"
  );
}

function isSyncIterable(value: unknown): value is Iterable<unknown> {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function"
  );
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return value !== null && typeof value === "object" && Symbol.asyncIterator in value;
}

async function collect(values: AsyncIterable<unknown>): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const v of values) out.push(v);
  return out;
}
