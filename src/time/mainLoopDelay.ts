import { sharedHold } from "./sharedHold.js";

/**
 * The main event loop's delay, for stages that run on it (inline and async contexts): how late
 * a timer fires, as a moving average. One unref'd timer samples it while anything holds the
 * monitor, whatever the number of runs and stages reading it.
 */
const PERIOD_MS = 20;
/** Weight of the newest sample in the moving average. */
const ALPHA = 0.2;

let timer: NodeJS.Timeout | undefined;
let expected = 0;
let average = 0;

function sample(): void {
  const now = performance.now();
  const late = Math.max(0, now - expected);
  average += ALPHA * (late - average);
  expected = now + PERIOD_MS;
}

const sampling = sharedHold(
  () => {
    average = 0;
    expected = performance.now() + PERIOD_MS;
    timer = setInterval(sample, PERIOD_MS);
    timer.unref();
  },
  () => {
    clearInterval(timer);
    timer = undefined;
  },
);

/**
 * Starts sampling (if nothing else holds the monitor) and returns the function that stops
 * holding it; call it once.
 */
export function holdMainLoopDelay(): () => void {
  return sampling.hold();
}

/**
 * The main loop's delay in ms (a moving average of how late the sampling timer fired), counting
 * a lateness that is building up right now; 0 while nothing holds the monitor.
 */
export function mainLoopDelayMs(): number {
  if (sampling.holders === 0) return 0;
  const pending = performance.now() - expected;
  return pending > average ? pending : average;
}
