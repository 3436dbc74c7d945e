/**
 * The pool stages' engine: what defines a worker-thread or child-process stage (`worker()`,
 * `child()`: option checks, the self-containment check of a function, the lazily started pool).
 * Reached only through `engine("pool")` (src/load/engines.ts): the built package loads it on a
 * process's first `worker()` or `child()` (scripts/build.mjs builds it as dist/engines/pool.cjs).
 */
export { makePoolStage } from "../executor/pool/stage/makePoolStage.js";
