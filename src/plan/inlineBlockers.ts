import type { StageSettings } from "../stage/StageOptions.js";

const asyncFunctionKinds = new Set(["AsyncFunction", "AsyncGeneratorFunction"]);

/** True for an `async function` or `async function*` (which always return a promise or an async iterator). */
export function isAsyncFunction(fn: unknown): boolean {
  return typeof fn === "function" && asyncFunctionKinds.has(fn.constructor.name);
}

/**
 * What keeps a stage out of a fused inline loop, in words ("async function", "concurrency 4",
 * …); empty when it can be fused. The plan compiler uses it to explain its decisions, and the
 * builder to reject `context: "inline"` on such a stage when the pipeline is defined.
 */
export function inlineBlockers(fn: unknown, s: StageSettings): string[] {
  const blockers: string[] = [];
  if (isAsyncFunction(fn)) blockers.push("async function");
  if (s.concurrency > 1) blockers.push(`concurrency ${s.concurrency}`);
  if (s.retry.attempts > 1) blockers.push(`retry (${s.retry.attempts} attempts)`);
  if (s.timeoutMs !== undefined) blockers.push(`timeoutMs ${s.timeoutMs}`);
  if (s.priority !== undefined) blockers.push("priority queue");
  if (s.adaptive !== undefined) blockers.push("adaptive concurrency");
  if (s.rateLimit !== undefined) blockers.push("rate limit");
  if (s.breaker !== undefined) blockers.push("circuit breaker");
  if (s.bulkhead !== undefined) blockers.push("bulkhead");
  if (s.admissions.length > 0) blockers.push("admission policy");
  if (s.fairBy !== undefined) blockers.push("fair queue");
  if (s.cache?.settings.store !== undefined) blockers.push("cache with a store (read asynchronously)");
  return blockers;
}
