import type { TaskState } from "../state/TaskState.js";
import type { TaskSpec } from "../workflow/Workflow.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";
import type { ComponentStart } from "./RuntimeReport.js";

/** What the start-up tasks need from their runtime. */
export interface StartUpHost {
  /** Records a started instance (dependents and `get()` see it). */
  started(name: string, instance: unknown): void;
  /** Stops an instance nobody will use (a start that ended after its timeout). */
  discard(c: ComponentDefinition, instance: unknown): void;
}

/**
 * The start-up workflow's tasks: one per component, after its dependencies, with the component's
 * priority (higher first among ready ones), start timeout and retries. A critical component's failure fails the workflow (start-up stops);
 * an optional one's skips its dependents. An instance that arrives after its attempt was aborted
 * is discarded (stopped), never leaked.
 */
export function startUpTasks(components: Iterable<ComponentDefinition>, host: StartUpHost): TaskSpec[] {
  return [...components].map((c) => ({
    name: c.name,
    after: c.dependsOn,
    priority: c.priority,
    retry: c.spec.retry ?? 1,
    timeoutMs: c.startTimeoutMs,
    onFailure: c.critical ? "fail-workflow" : "skip-dependents",
    run: async (ctx) => {
      const instance = await c.spec.start({
        deps: ctx.results,
        signal: ctx.signal,
        attempt: ctx.attempt,
        name: c.name,
      });
      if (ctx.signal.aborted) {
        host.discard(c, instance);
        throw ctx.signal.reason;
      }
      host.started(c.name, instance);
      return instance;
    },
  }));
}

/** How a component's start ended, from its start-up task's final state. */
export function componentStart(
  task: TaskState,
  c: ComponentDefinition,
  starts: ReadonlyMap<string, ComponentStart>,
): ComponentStart {
  const status = task.status === "completed" ? "started" : (task.status as "failed" | "skipped" | "cancelled");
  const because = task.skippedBecause ?? "?";
  const error =
    task.status === "skipped"
      ? new Error(`dependency "${because}" did not start`, { cause: starts.get(because)?.error })
      : task.error;
  return Object.freeze({ status, critical: c.critical, attempts: task.attempts, durationMs: task.durationMs, error });
}
