// Moved to src/graph/GraphNode.ts (both pipeline/ and run/ import it from there). This re-export
// remains only for run/PipelineRun.ts, which is being split on another branch: delete it once
// that file imports from ../graph/.
export type { GraphEdge, GraphNode } from "../graph/GraphNode.js";
