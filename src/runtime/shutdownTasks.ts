import { ComponentError } from "../errors/ComponentError.js";
import type { TaskState } from "../state/TaskState.js";
import type { WorkflowResult } from "../workflow/results/WorkflowResult.js";
import type { TaskSpec } from "../workflow/Workflow.js";
import type { ComponentDefinition } from "./ComponentDefinition.js";
import type { RuntimeEvents } from "./RuntimeEvents.js";
import type { ComponentStop, HookEnd, StopReport } from "./RuntimeReport.js";
import type { ShutdownHookDefinition } from "./ShutdownHook.js";

/** What the shutdown tasks call. */
export interface ShutdownSteps {
  /** Stops one started component within its stop timeout (and `signal`). */
  stop(c: ComponentDefinition, signal: AbortSignal): Promise<unknown>;
  /** Runs one hook within its timeout (and `signal`). */
  hook(h: ShutdownHookDefinition, signal: AbortSignal): Promise<unknown>;
}

/** The shutdown task of component `name`. */
export const componentTask = (name: string): string => `component:${name}`;
/** The shutdown task of hook `name`. */
export const hookTask = (name: string): string => `hook:${name}`;

/** Task names of `hooks` in levels of equal priority, highest first. */
function levels(hooks: readonly ShutdownHookDefinition[]): string[][] {
  const byPriority = new Map<number, string[]>();
  for (const h of hooks) byPriority.set(h.priority, [...(byPriority.get(h.priority) ?? []), hookTask(h.name)]);
  return [...byPriority.entries()].sort(([a], [b]) => b - a).map(([, names]) => names);
}

/**
 * The shutdown workflow's tasks: the `"before-components"` hooks, one priority level after the
 * other (equal priorities in parallel); then the `started` components, each after every started
 * component that depends on it (reverse dependency order; independent ones in parallel); then
 * the `"after-components"` hooks, level by level. A failure never holds the others back
 * (`onFailure: "continue"`).
 */
export function shutdownTasks(
  started: readonly ComponentDefinition[],
  hooks: readonly ShutdownHookDefinition[],
  steps: ShutdownSteps,
): TaskSpec[] {
  const tasks: TaskSpec[] = [];
  const hookTasks = (phase: ShutdownHookDefinition["phase"], first: readonly string[]): readonly string[] => {
    let previous = first;
    for (const level of levels(hooks.filter((h) => h.phase === phase))) {
      for (const name of level) {
        const h = hooks.find((x) => hookTask(x.name) === name)!;
        tasks.push({ name, after: previous, onFailure: "continue", run: ({ signal }) => steps.hook(h, signal) });
      }
      previous = level;
    }
    return previous;
  };
  const beforeComponents = hookTasks("before-components", []);
  for (const c of started) {
    const dependents = started.filter((d) => d.dependsOn.includes(c.name)).map((d) => componentTask(d.name));
    tasks.push({
      name: componentTask(c.name),
      after: [...dependents, ...beforeComponents],
      onFailure: "continue",
      run: ({ signal }) => steps.stop(c, signal),
    });
  }
  hookTasks("after-components", started.length > 0 ? started.map((c) => componentTask(c.name)) : beforeComponents);
  return tasks;
}

/** How a component's stop ended, from its shutdown task's final state (cancelled: the grace period ran out). */
export function componentStop(name: string, task: TaskState): ComponentStop {
  const status = task.status === "completed" ? "stopped" : task.status === "failed" ? "failed" : "abandoned";
  const error = task.status === "failed" ? new ComponentError(name, "stop", task.error) : task.error;
  return Object.freeze({ status, durationMs: task.durationMs, error: status === "stopped" ? undefined : error });
}

/** How a hook ended, from its shutdown task's final state (cancelled: the grace period ran out). */
export function hookEnd(task: TaskState): HookEnd {
  const status = task.status === "completed" ? "completed" : task.status === "failed" ? "failed" : "abandoned";
  return Object.freeze({
    status,
    durationMs: task.durationMs,
    error: status === "completed" ? undefined : task.error,
  });
}

/**
 * The per-component and per-hook parts of the stop report, from the shutdown workflow's result;
 * emits `component:stopped` or `component:failed` for each component and `hook:end` for each hook.
 */
export function shutdownReport(
  result: WorkflowResult,
  started: readonly ComponentDefinition[],
  hooks: readonly ShutdownHookDefinition[],
  emit: <K extends keyof RuntimeEvents>(type: K, payload: RuntimeEvents[K]) => void,
): Pick<StopReport, "components" | "hooks"> {
  const components: Record<string, ComponentStop> = {};
  for (const { name } of started) {
    const stop = componentStop(name, result.tasks[componentTask(name)]!);
    components[name] = stop;
    if (stop.status === "stopped") emit("component:stopped", { component: name, durationMs: stop.durationMs ?? 0 });
    else emit("component:failed", { component: name, phase: "stop", error: stop.error });
  }
  const ends: Record<string, HookEnd> = {};
  for (const { name } of hooks) {
    const end = hookEnd(result.tasks[hookTask(name)]!);
    ends[name] = end;
    emit("hook:end", { hook: name, ...end, durationMs: end.durationMs ?? 0 });
  }
  return { components: Object.freeze(components), hooks: Object.freeze(ends) };
}
