/**
 * The pipeline engine: what runs a pipeline (`PipelineRun` and its steps, stages and executors).
 * Reached only through `engine("pipeline")` (src/load/engines.ts): the built package loads it on
 * a process's first pipeline run (scripts/build.mjs builds it as dist/engines/pipeline.cjs).
 */
export { PipelineRun } from "../run/PipelineRun.js";
