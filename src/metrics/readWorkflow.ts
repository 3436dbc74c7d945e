import { taskStatuses } from "../state/TaskState.js";
import type { WorkflowReading } from "../stats/MetricsSink.js";
import { families as f } from "./families.js";
import type { Frame } from "./Frame.js";

const final = new Set(["completed", "failed", "skipped", "cancelled"]);

/**
 * Adds a workflow run's reading to `frame`: its tasks by state, those ended by state, and the
 * durations of those that ran (exact: each task is counted against each bound).
 *
 * @param bounds histogram bounds, seconds (ascending)
 */
export function readWorkflow(
  frame: Frame,
  workflow: string,
  reading: WorkflowReading,
  bounds: readonly number[],
): void {
  const byState = new Map<string, number>(taskStatuses.map((s) => [s, 0]));
  const cumulative = bounds.map(() => 0);
  let count = 0;
  let sum = 0;
  for (const t of reading.tasks) {
    byState.set(t.status, byState.get(t.status)! + 1);
    if (!final.has(t.status) || t.durationMs === undefined) continue;
    const s = t.durationMs / 1000;
    count++;
    sum += s;
    for (let i = 0; i < bounds.length; i++) if (s <= bounds[i]!) cumulative[i]!++;
  }
  for (const [state, n] of byState) {
    frame.add(f.tasks, { workflow, state }, n);
    if (final.has(state)) frame.add(f.tasksEnded, { workflow, state }, n);
  }
  frame.addHistogram(f.taskDuration, { workflow }, cumulative, sum, count);
}
