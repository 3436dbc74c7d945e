import type { Store } from "./store/Store.js";
import { DurableStore } from "./store/DurableStore.js";
import { MemoryBackend } from "./store/memory/MemoryBackend.js";
import type { FilledStoreOptions } from "./store/StoreOptions.js";

/**
 * The run engines: the code that runs a pipeline, a workflow, a component runtime and a memory
 * store, as opposed to the code that describes them. Reached only through `engines()`
 * (src/load/engines.ts), so the built package loads them on the first run rather than on
 * `import "weir"`: this module is an entry point of the build (dist/runEngines.js).
 */
export { PipelineRun } from "./run/PipelineRun.js";
export { WorkflowRun } from "./workflow/run/WorkflowRun.js";
export { Runtime } from "./runtime/Runtime.js";

/** A store over an in-process backend (`memoryStore()`). */
export function openMemoryStore(options: FilledStoreOptions): Store {
  return new DurableStore(new MemoryBackend(), options);
}
