import { createHash } from "../../load/onFirstUse.js";
import type { PipelineGraph } from "../../graph/PipelineGraph.js";
import type { PlanShape } from "../../store/PlanShape.js";

/**
 * A pipeline's shape for the store's plan hash: one part per node, source to sink, whose
 * fingerprint covers what changes the pipeline's results: the node's kind, its function's source
 * text (or its pool module export), the inputs it reads, a batch's size, a route's branches and
 * key function, and the stage options that decide what comes out (`ordered`, `onError`). Speed
 * settings (concurrency, timeouts, rate limits, retries) are left out: changing them does not
 * refuse a resume.
 */
export function pipelinePlan(graph: PipelineGraph): PlanShape {
  return graph.nodes.map((node) => {
    const s = node.settings;
    const shape = {
      kind: node.kind,
      fn: node.fn === undefined ? undefined : String(node.fn),
      // named "remote" in stored plan hashes (its former name): renaming it would refuse every resume
      remote: node.pool?.factory.exportName,
      inputs: node.inputs.map((e) => `${graph.nodes[e.from]!.name}${e.key === undefined ? "" : `:${e.key}`}`),
      batch: node.batch?.size,
      route: node.route === undefined ? undefined : { keys: node.route.keys, key: String(node.route.key) },
      ordered: s?.ordered,
      onError: s?.onError,
    };
    const fingerprint = createHash("sha256").update(JSON.stringify(shape)).digest("hex").slice(0, 16);
    return { name: node.name, fingerprint };
  });
}
