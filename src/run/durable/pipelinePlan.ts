import { createHash } from "../../load/onFirstUse.js";
import type { PipelineGraph } from "../../graph/PipelineGraph.js";
import type { PlanShape } from "../../store/PlanShape.js";

/**
 * A pipeline's shape for the store's plan hash: one part per node, source to sink, whose
 * fingerprint covers what changes the pipeline's results: the node's kind, the source text of
 * the function the user gave (not of a cache's or a `mapBatch`'s wrapper; a function given to
 * `worker()` or `child()` included), a module's export, whether it takes batches whole, the
 * inputs it reads, a batch's size, a route's branches and key function, and the stage options
 * that decide what comes out (`ordered`, `onError`). Speed settings (concurrency, timeouts, rate
 * limits, retries) are left out: changing them does not refuse a resume. A field left undefined
 * drops out of the JSON: adding one keeps the fingerprints of the stages that do not set it.
 */
export function pipelinePlan(graph: PipelineGraph): PlanShape {
  return graph.nodes.map((node) => {
    const s = node.settings;
    const shape = {
      kind: node.kind,
      fn: node.fnSource ?? (node.fn === undefined ? undefined : String(node.fn)),
      // named "remote" in stored plan hashes (its former name): renaming it would refuse every resume
      remote: node.pool?.factory.exportName,
      inputs: node.inputs.map((e) => `${graph.nodes[e.from]!.name}${e.key === undefined ? "" : `:${e.key}`}`),
      wholeBatches: node.wholeBatches,
      batch: node.batch?.size,
      route: node.route === undefined ? undefined : { keys: node.route.keys, key: String(node.route.key) },
      ordered: s?.ordered,
      onError: s?.onError,
    };
    const fingerprint = createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16);
    return { name: node.name, fingerprint };
  });
}
