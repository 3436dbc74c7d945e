import { isPoolStage } from "../../executor/pool/stage/PoolStage.js";
import { WorkflowError } from "../../errors/WorkflowError.js";
import type { Executor } from "../../executor/Executor.js";
import {
  func,
  knownKeys,
  nonEmptyString,
  oneOf,
  optional,
  plainObject,
  positiveNumber,
} from "../../options/validate.js";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import type { Admission } from "../../policy/Admission.js";
import { composeAdmissions } from "../../policy/composeAdmissions.js";
import { retryPolicy, type RetryPolicy } from "../../policy/retry.js";
import type { ExecutionContext } from "../../stage/StageContext.js";
import type { TaskFunction } from "./TaskFunction.js";
import { taskFingerprint } from "./taskFingerprint.js";
import type { FailurePolicy, TaskInfo, TaskOptions } from "./TaskOptions.js";

/** A task's options, validated, with every field present. */
export interface TaskDefinition {
  readonly name: string;
  readonly after: readonly string[];
  readonly priority: number;
  readonly retry: RetryPolicy;
  readonly timeoutMs: number | undefined;
  readonly context: ExecutionContext;
  readonly executor: ((task: TaskInfo) => Executor) | undefined;
  readonly onFailure: FailurePolicy;
  /** `bulkhead` then `admission`, composed into one; undefined when the task has none. */
  readonly admission: Admission | undefined;
  readonly fn: TaskFunction<Record<string, unknown>, unknown>;
  /** What changes the task's result, digested (see {@link taskFingerprint}): compared on resume and reuse. */
  readonly fingerprint: string;
}

/** Task option defaults. */
export const taskDefaults = Object.freeze({
  priority: 0,
  context: "async" as ExecutionContext,
  onFailure: "skip-dependents" as FailurePolicy,
});

/** Every option of {@link TaskOptions}, no more, no less (the type says when one is missing). */
const known = Object.keys({
  after: true,
  priority: true,
  retry: true,
  timeoutMs: true,
  context: true,
  executor: true,
  onFailure: true,
  bulkhead: true,
  admission: true,
} satisfies Record<keyof TaskOptions, true>);
const contexts: readonly ExecutionContext[] = ["inline", "async", "worker", "process"];
const policies: readonly FailurePolicy[] = ["skip-dependents", "fail-workflow", "continue"];

/** Stands in for a pool task's function: its executor runs it. */
function runsInPool(): never {
  throw new Error("internal: a pool task is run by its executor");
}

function admissionOption(v: unknown, option: string, where: string): Admission {
  const a = v as Partial<Admission> | null;
  if (
    typeof a !== "object" ||
    a === null ||
    typeof a.tryAcquire !== "function" ||
    typeof a.release !== "function" ||
    typeof a.onChange !== "function"
  ) {
    throw new InvalidOptionError(
      option,
      "an admission policy (bulkhead(), rateLimiter(), circuitBreaker() …)",
      v,
      where,
    );
  }
  return v as Admission;
}

/** The task's `bulkhead` and `admission` options, validated and composed (in that order). */
function taskAdmission(o: Record<string, unknown>, where: string): Admission | undefined {
  const list: Admission[] = [];
  if (o.bulkhead !== undefined) list.push(admissionOption(o.bulkhead, "bulkhead", where));
  const more = o.admission;
  if (Array.isArray(more)) more.forEach((v: unknown, i) => list.push(admissionOption(v, `admission[${i}]`, where)));
  else if (more !== undefined) list.push(admissionOption(more, "admission", where));
  return list.length === 0 ? undefined : composeAdmissions(list);
}

/** Validates one task's name, options and function (not its dependencies: the graph does that). */
export function taskDefinition(workflow: string, name: unknown, options: unknown, fn: unknown): TaskDefinition {
  const where = `workflow "${workflow}"`;
  const taskName = nonEmptyString(name, "task name", where);
  if (taskName === "__proto__") {
    // results by name are null-prototype objects here, but a child process's decoder renames
    // this key, and an object literal in the task's own code turns it into a prototype
    throw new InvalidOptionError("task name", 'a name other than "__proto__"', taskName, where);
  }
  const at = `${where}, task "${taskName}"`;
  const o = plainObject(options ?? {}, "options", at);
  knownKeys(o, known, "", at);
  const after = optional(o.after, [] as readonly string[], (v) => {
    if (!Array.isArray(v)) throw new InvalidOptionError("after", "an array of task names", v, at);
    return Object.freeze(v.map((d, i) => nonEmptyString(d, `after[${i}]`, at)));
  });
  const seen = new Set<string>();
  for (const d of after) {
    if (seen.has(d)) throw new WorkflowError(workflow, taskName, `lists "${d}" twice in after`);
    seen.add(d);
  }
  const priority = optional(o.priority, taskDefaults.priority, (v) => {
    if (typeof v !== "number" || !Number.isFinite(v))
      throw new InvalidOptionError("priority", "a finite number", v, at);
    return v;
  });
  const remote = isPoolStage(fn) ? fn : undefined;
  const context = optional(o.context, remote?.context ?? taskDefaults.context, (v) =>
    oneOf(v, contexts, "context", at),
  );
  if (remote !== undefined && context !== remote.context) {
    throw new InvalidOptionError(
      "context",
      `"${remote.context}" (the task function runs in a ${remote.context} pool)`,
      context,
      at,
    );
  }
  const executor =
    remote !== undefined
      ? () => remote.factory.create(taskName, [{ kind: "map", exportName: remote.exportName }])
      : optional(o.executor, undefined, (v) => func<(t: TaskInfo) => Executor>(v, "executor", at));
  if ((context === "worker" || context === "process") && executor === undefined) {
    throw new InvalidOptionError("executor", `an executor factory for context "${context}"`, undefined, at);
  }
  const onFailure = optional(o.onFailure, taskDefaults.onFailure, (v) => oneOf(v, policies, "onFailure", at));
  return Object.freeze({
    name: taskName,
    after,
    priority,
    retry: retryPolicy(o.retry, at),
    timeoutMs: optional(o.timeoutMs, undefined, (v) => positiveNumber(v, "timeoutMs", at)),
    context,
    executor,
    onFailure,
    admission: taskAdmission(o, at),
    fn:
      remote !== undefined ? runsInPool : func<TaskFunction<Record<string, unknown>, unknown>>(fn, "task function", at),
    fingerprint: taskFingerprint(fn, remote, after, context, onFailure),
  });
}
