import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import type { GraphNode } from "../graph/GraphNode.js";
import { PipelineGraph } from "../graph/PipelineGraph.js";

/**
 * A copy of the part of `graph` from stage `stage` on (the stage and every node it feeds, however
 * far), fed by a new source `items`: what a dead letter of that stage is replayed through. Edges
 * from nodes outside that part (another input of a merge point) are left out. Returns the new
 * graph and its last node (a handle on any node runs the whole graph).
 * @throws InvalidOptionError when the pipeline has no stage of that name (or it is the source)
 */
export function replayGraph(
  graph: PipelineGraph,
  stage: string,
  items: readonly unknown[],
): { readonly graph: PipelineGraph; readonly last: GraphNode } {
  const start = graph.nodes.find((n) => n.name === stage);
  if (start === undefined || start.kind === "source") {
    throw new InvalidOptionError(
      "stage",
      `a stage of pipeline "${graph.name}" (${graph.nodes
        .filter((n) => n.kind !== "source")
        .map((n) => `"${n.name}"`)
        .join(", ")})`,
      stage,
      "replay",
    );
  }
  const consumers = graph.consumers();
  const part = new Set<number>([start.id]);
  const stack = [start.id];
  while (stack.length > 0) {
    for (const next of consumers.get(stack.pop()!) ?? []) {
      if (!part.has(next)) {
        part.add(next);
        stack.push(next);
      }
    }
  }
  const copy = new PipelineGraph(graph.name);
  const source = copy.add({
    name: start.name === "source" ? "replay-source" : "source",
    kind: "source",
    fn: undefined,
    pool: undefined,
    settings: undefined,
    batch: undefined,
    route: undefined,
    source: items,
    inputs: [],
  });
  const ids = new Map<number, number>();
  let last = source;
  for (const id of graph.topologicalOrder()) {
    const node = graph.nodes[id]!;
    if (!part.has(id)) continue;
    const inputs =
      node.id === start.id
        ? [{ from: source.id, key: undefined }]
        : node.inputs.filter((e) => part.has(e.from)).map((e) => ({ from: ids.get(e.from)!, key: e.key }));
    const { id: _id, ...rest } = node;
    last = copy.add({ ...rest, inputs });
    ids.set(node.id, last.id);
  }
  return { graph: copy, last };
}
