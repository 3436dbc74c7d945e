import { WorkflowSnapshot } from "../state/WorkflowSnapshot.js";
import { taskStatuses } from "../state/TaskState.js";
import type { WorkflowResult } from "../workflow/results/WorkflowResult.js";

/** True when `value` is a workflow snapshot (the CLI runs workflows as well as pipelines). */
export function isWorkflowSnapshot(value: unknown): value is WorkflowSnapshot {
  return value instanceof WorkflowSnapshot;
}

/** True when `value` is a finished workflow's result. */
export function isWorkflowResult(value: unknown): value is WorkflowResult {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as WorkflowResult).workflow === "string" &&
    typeof (value as WorkflowResult).counts === "object"
  );
}

function counts(c: Readonly<Record<string, number>>): string {
  return taskStatuses
    .filter((s) => (c[s] ?? 0) > 0)
    .map((s) => `${c[s]} ${s}`)
    .join(", ");
}

/** One frame for a running workflow: state, elapsed time, and tasks per status. */
export function renderWorkflow(snapshot: WorkflowSnapshot, now: number): string[] {
  const total = snapshot.size;
  const done = total - (snapshot.counts.pending ?? 0) - (snapshot.counts.running ?? 0);
  const elapsed = ((snapshot.endedAt ?? now) - snapshot.startedAt) / 1000;
  return [
    `${snapshot.workflow}  ${snapshot.state}  ${elapsed.toFixed(1)}s  ${done}/${total} done  (${counts(snapshot.counts)})`,
  ];
}

/** The plain-text summary of a finished workflow. */
export function workflowSummary(result: WorkflowResult): string {
  const lines = [
    `${result.workflow}: ${result.state} in ${(result.durationMs / 1000).toFixed(2)}s (${counts(result.counts)})`,
  ];
  for (const [name, task] of Object.entries(
    result.tasks as Record<string, { status: string; durationMs?: number; attempts?: number }>,
  )) {
    const time = task.durationMs === undefined ? "" : `  ${task.durationMs.toFixed(1)}ms`;
    const attempts = (task.attempts ?? 0) > 1 ? `  ${task.attempts} attempts` : "";
    lines.push(`  ${name.padEnd(20)} ${task.status.padEnd(9)}${time}${attempts}`);
  }
  return lines.join("\n");
}
