// Moved to src/time/TimerWheel.ts (one time/ folder). This re-export remains only for
// run/PipelineRun.ts, which is being split on another branch: delete src/timer/ once that file
// imports from ../time/.
export { TimerWheel } from "../time/TimerWheel.js";
