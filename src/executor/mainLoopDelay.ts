// Moved to src/time/mainLoopDelay.ts (one time/ folder). This re-export remains only for
// run/PipelineRun.ts, which is being split on another branch: delete it once that file imports
// from ../time/.
export { holdMainLoopDelay, mainLoopDelayMs } from "../time/mainLoopDelay.js";
