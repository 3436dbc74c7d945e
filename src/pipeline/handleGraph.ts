import type { PipelineGraph } from "../graph/PipelineGraph.js";

/**
 * Where a pipeline handle keeps its graph: a registered symbol, so that a handle made by another
 * copy of weir (a job importing the built package, read by a CLI run from source, or the
 * reverse) is still understood (`replayDeadLetters`).
 */
const graphKey = Symbol.for("weir.pipeline.graph");

/** @internal Called by every pipeline handle as it is made. */
export function registerHandleGraph(handle: object, graph: PipelineGraph): void {
  Object.defineProperty(handle, graphKey, { value: graph });
}

/** The graph behind a pipeline handle; undefined for anything else. */
export function handleGraph(handle: unknown): PipelineGraph | undefined {
  if (typeof handle !== "object" || handle === null) return undefined;
  const graph = (handle as Record<symbol, unknown>)[graphKey] as PipelineGraph | undefined;
  return graph !== undefined && Array.isArray(graph.nodes) ? graph : undefined;
}
