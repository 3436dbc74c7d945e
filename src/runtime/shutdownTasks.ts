import { ComponentError } from "../errors/ComponentError.js";
import type { TaskState } from "../state/TaskState.js";
import type { TaskSpec } from "../workflow/Workflow.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";
import type { ComponentStop } from "./RuntimeReport.js";

/**
 * The shutdown workflow's tasks for the `started` components: each stops after every started
 * component that depends on it (reverse dependency order; independent ones in parallel), and a
 * failure never holds the others back (`onFailure: "continue"`).
 */
export function shutdownTasks(
  started: readonly ComponentDefinition[],
  stop: (c: ComponentDefinition, signal: AbortSignal) => Promise<unknown>,
): TaskSpec[] {
  return started.map((c) => ({
    name: c.name,
    after: started.filter((d) => d.dependsOn.includes(c.name)).map((d) => d.name),
    onFailure: "continue",
    run: ({ signal }) => stop(c, signal),
  }));
}

/** How a component's stop ended, from its shutdown task's final state (cancelled: the grace period ran out). */
export function componentStop(name: string, task: TaskState): ComponentStop {
  const status = task.status === "completed" ? "stopped" : task.status === "failed" ? "failed" : "abandoned";
  const error = task.status === "failed" ? new ComponentError(name, "stop", task.error) : task.error;
  return Object.freeze({ status, durationMs: task.durationMs, error: status === "stopped" ? undefined : error });
}
