/**
 * The component runtime's engine (`Runtime`). Reached only through `engine("runtime")`
 * (src/load/engines.ts): the built package loads it on a process's first `runtime()`
 * (scripts/build.mjs builds it as dist/engines/runtime.cjs).
 */
export { Runtime } from "../runtime/Runtime.js";
