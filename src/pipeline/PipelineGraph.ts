// Moved to src/graph/PipelineGraph.ts (both pipeline/ and run/ import it from there). This
// re-export remains only for run/PipelineRun.ts, which is being split on another branch: delete it
// once that file imports from ../graph/.
export type { PipelineGraph } from "../graph/PipelineGraph.js";
