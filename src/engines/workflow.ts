/**
 * The workflow engine: what runs a workflow (`WorkflowRun` and a task's lifecycle). Reached only
 * through `engine("workflow")` (src/load/engines.ts): the built package loads it on a process's
 * first workflow run (scripts/build.mjs builds it as dist/engines/workflow.cjs).
 */
export { WorkflowRun } from "../workflow/run/WorkflowRun.js";
