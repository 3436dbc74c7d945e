import type { PipelineGraph } from "./PipelineGraph.js";

const graphs = new WeakMap<object, PipelineGraph>();

/** @internal Called by every pipeline handle as it is made. */
export function registerHandleGraph(handle: object, graph: PipelineGraph): void {
  graphs.set(handle, graph);
}

/** The graph behind a pipeline handle of this copy of weir; undefined for anything else. */
export function handleGraph(handle: unknown): PipelineGraph | undefined {
  return typeof handle === "object" && handle !== null ? graphs.get(handle) : undefined;
}
