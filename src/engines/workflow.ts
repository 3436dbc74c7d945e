/**
 * The workflow engine: what defines a workflow (`Workflow`: its tasks, checks and plan) and runs
 * it (`WorkflowRun` and a task's lifecycle). Reached only through `engine("workflow")`
 * (src/load/engines.ts): the built package loads it on a process's first `workflow()`
 * (scripts/build.mjs builds it as dist/engines/workflow.cjs).
 */
export { WorkflowRun } from "../workflow/run/WorkflowRun.js";
export { Workflow } from "../workflow/Workflow.js";
