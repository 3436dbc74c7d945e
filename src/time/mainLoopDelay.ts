import type * as PerfHooks from "node:perf_hooks";
import { sharedHold } from "./sharedHold.js";

/**
 * The main event loop's delay, for stages that run on it (inline and async contexts), measured
 * like a worker's (`LoopMeter` in the worker runtime): Node's `monitorEventLoopDelay` samples the
 * loop in native code, and one unref'd timer folds the histogram's mean into a moving average every
 * {@link FOLD_MS} ms. A loop blocked so long that the fold itself is late reports how late it is.
 * One histogram and one timer while anything holds the monitor, whatever the number of runs and
 * stages reading it.
 */
const RESOLUTION_MS = 10;
/** How often the histogram's mean folds into the moving average (and the histogram resets). */
const FOLD_MS = 100;
/** Weight of the newest fold in the moving average. */
const ALPHA = 0.5;

/**
 * `node:perf_hooks`, loaded by the first hold rather than when weir is imported: its modules add
 * 0.5–1.3 MB to the memory of a process that imports weir (bench/README.md, "Import cost").
 */
let perfHooks: typeof PerfHooks | undefined;
let histogram: PerfHooks.IntervalHistogram | undefined;
let timer: NodeJS.Timeout | undefined;
/** When the fold last ran: a loop blocked by work leaves it behind. */
let lastFold = 0;
let average = 0;

function fold(): void {
  const h = histogram;
  if (h === undefined) return;
  lastFold = performance.now();
  // the histogram records whole intervals between its own timer's runs: the delay is the excess
  if (h.count > 0) average += ALPHA * (Math.max(0, h.mean / 1e6 - RESOLUTION_MS) - average);
  h.reset();
}

const sampling = sharedHold(
  () => {
    average = 0;
    lastFold = performance.now();
    perfHooks ??= process.getBuiltinModule("node:perf_hooks");
    // made once and kept, disabled, while nothing holds it: making one cost a short run most of
    // its time (bench/README.md, "A short run's fixed cost")
    histogram ??= perfHooks.monitorEventLoopDelay({ resolution: RESOLUTION_MS });
    histogram.reset();
    histogram.enable();
    timer = setInterval(fold, FOLD_MS);
    timer.unref();
  },
  () => {
    clearInterval(timer);
    timer = undefined;
    histogram?.disable();
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
 * The main loop's delay in ms (a moving average of the mean delay `monitorEventLoopDelay`
 * measured), counting a lateness that is building up right now; 0 while nothing holds the monitor.
 */
export function mainLoopDelayMs(): number {
  if (sampling.holders === 0) return 0;
  const pending = performance.now() - lastFold - FOLD_MS;
  return pending > average ? pending : average;
}
