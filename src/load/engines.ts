import * as pipeline from "../engines/pipeline.js";
import * as pool from "../engines/pool.js";
import * as runtime from "../engines/runtime.js";
import * as store from "../engines/store.js";
import * as workflow from "../engines/workflow.js";

const engines = { pipeline, pool, workflow, runtime, store };

/** The engines by name (src/engines/). */
export type Engines = typeof engines;

/**
 * One of the engines (src/engines/: what plans and runs a pipeline, what defines and runs a pool
 * stage or a workflow, the component runtime, and the store over a backend). Compiling them is
 * most of what importing weir would cost, and a program that imports weir may never run anything
 * (a CLI's `--help`, a module that only defines pipelines) or use one kind only, so the built
 * package loads each on first use: the build (scripts/build.mjs) puts a module of its own in this
 * one's place, which `require()`s dist/engines/<name>.cjs the first time that engine is asked for
 * and hands it the exports of the core's modules it uses. From the sources (tests: under tsx, or
 * compiled file by file) they are imported here, statically: the same modules, loaded with the rest.
 */
export function engine<K extends keyof Engines>(name: K): Engines[K] {
  return engines[name];
}
