import { nonEmptyString } from "../options/validate.js";
import { engine } from "../load/engines.js";
import type { Workflow } from "./Workflow.js";

/**
 * Starts a workflow definition: add tasks with `.task()`, inspect it with `.plan()`, run it with
 * `.run()`.
 *
 * @example
 * ```ts
 * const wf = workflow("nightly")
 *   .task("extract", async ({ signal }) => fetchAll(signal))
 *   .task("transform", { after: ["extract"], retry: { attempts: 3 }, priority: 10 },
 *         async ({ results }) => clean(results.extract))
 *   .task("load", { after: ["transform"] }, ({ results }) => save(results.transform));
 * const r = await wf.run({ concurrency: 4 });
 * ```
 */
export function workflow(name: string): Workflow {
  return new (engine("workflow").Workflow)(nonEmptyString(name, "name", "workflow"));
}
