import { WeirError } from "../errors/WeirError.js";
import type { RunResult } from "../run/RunResult.js";
import { fmt } from "./ProgressView.js";
import { isWorkflowResult, workflowSummary } from "./workflowView.js";

/** A plain-text summary of a finished run (pipeline results; other results as JSON). */
export function summary(result: unknown): string {
  if (isWorkflowResult(result)) return workflowSummary(result);
  const r = result as RunResult;
  if (typeof r !== "object" || r === null || typeof r.stats !== "object") return JSON.stringify(result, null, 2);
  const lines = [
    `${r.pipeline}: ${r.stopped ? "stopped" : "completed"} in ${(r.durationMs / 1000).toFixed(2)}s, ${fmt(r.sourceItems)} source items`,
  ];
  // names as wide as the longest (fragment stages are named "<fragment>/<stage>"), at least 16
  const width = Math.max(16, ...Object.values(r.stats).map((s) => s.name.length));
  for (const s of Object.values(r.stats)) {
    const extra = [
      s.errors ? `${s.errors} errors` : "",
      s.retries ? `${s.retries} retries` : "",
      s.skipped ? `${s.skipped} skipped` : "",
      s.deadLettered ? `${s.deadLettered} dead-lettered` : "",
      s.dropped ? `${s.dropped} dropped` : "",
    ].filter(Boolean);
    const p =
      s.latency.count > 0 && s.context !== "inline"
        ? `  p50 ${s.latency.p50.toFixed(2)}ms p99 ${s.latency.p99.toFixed(2)}ms`
        : "";
    lines.push(
      `  ${s.name.padEnd(width)} ${s.context.padEnd(7)} in ${fmt(s.in).padStart(11)}  out ${fmt(s.out).padStart(11)}${p}${extra.length ? `  ${extra.join(", ")}` : ""}`,
    );
  }
  const first = r.deadLetters[0];
  if (first !== undefined) {
    const total = r.deadLetters.length + (r.deadLettersDropped ?? 0);
    const kept = r.deadLettersDropped ? ` (${r.deadLetters.length} kept in memory)` : "";
    lines.push(`  ${total} dead letters${kept} (first: stage "${first.stage}", item ${first.index})`);
  }
  return lines.join("\n");
}

/** One readable line (or a few) for an error: its code, message and cause. */
export function describeError(error: unknown): string {
  if (WeirError.is(error)) {
    const cause =
      error.cause instanceof Error && !error.message.includes(error.cause.message)
        ? `\n  cause: ${error.cause.stack ?? error.cause.message}`
        : "";
    return `weir: ${error.code}: ${error.message}${cause}`;
  }
  return `weir: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

/**
 * An error as `--json` prints it: a weir error's own JSON (code, message, fields, cause; never
 * an item), `{ name, message }` for another error, else the value in words.
 */
export function errorForJson(error: unknown): unknown {
  if (WeirError.is(error)) return error;
  if (error instanceof Error) return { name: error.name, message: error.message };
  return String(error);
}
