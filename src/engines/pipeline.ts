/**
 * The pipeline engine: what plans a pipeline (`compilePlan`: which steps fuse, which get a step and
 * a channel), runs it (`PipelineRun` and its steps, stages and executors) and replays its dead
 * letters. Reached only through `engine("pipeline")` (src/load/engines.ts): the built package
 * loads it on a process's first `plan()` or `run()` of a pipeline (scripts/build.mjs builds it as
 * dist/engines/pipeline.cjs).
 */
export { PipelineRun } from "../run/PipelineRun.js";
export { compilePlan } from "../plan/compilePlan.js";
export { replay } from "../replay/replayLetters.js";
/** The channel a pipeline's `stream()` reads from. */
export { Channel } from "../channel/Channel.js";
export { FifoQueue } from "../channel/FifoQueue.js";
