import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** How often a worker piggybacks loop delay and memory on a reply, at most. */
const REPORT_EVERY_MS = 100;
/** Period of the tick that tells how long the loop has been blocked (timers starved). */
const TICK_MS = 10;

/** What a reply carries of a worker's health: -1 for each when not measured this time. */
export interface LoopReport {
  /** Mean event-loop delay since the last report, in ms. */
  readonly delayMs: number;
  /** Memory in MB. */
  readonly memoryMb: number;
}

const NOT_MEASURED: LoopReport = Object.freeze({ delayMs: -1, memoryMb: -1 });

/**
 * A worker's event-loop delay and memory, measured for the replies that carry them (one in
 * {@link REPORT_EVERY_MS} at most). A loop kept busy by back-to-back batches starves the
 * histogram's timer; then the delay is how long timers have been waiting, told by a tick.
 */
export class LoopMeter {
  readonly #histogram: IntervalHistogram;
  readonly #tick: NodeJS.Timeout;
  readonly #memoryMb: () => number;
  #lastReport = 0;
  /** Last time the tick ran: a loop blocked by work leaves it behind. */
  #lastTick = performance.now();

  /** @param memoryMb reads the memory the pool compares with `maxMemoryMb` */
  constructor(memoryMb: () => number) {
    this.#memoryMb = memoryMb;
    this.#histogram = monitorEventLoopDelay({ resolution: TICK_MS });
    this.#histogram.enable();
    this.#tick = setInterval(() => {
      this.#lastTick = performance.now();
    }, TICK_MS).unref();
  }

  /** The measurements for a reply sent at `now`, when one is due. */
  report(now: number): LoopReport {
    if (now - this.#lastReport < REPORT_EVERY_MS) return NOT_MEASURED;
    this.#lastReport = now;
    const mean = this.#histogram.mean;
    const starved = now - this.#lastTick - TICK_MS;
    // the histogram records whole intervals between its timer's runs: the delay is the excess
    const delayMs = Math.max(Number.isFinite(mean) ? mean / 1e6 - TICK_MS : 0, starved, 0);
    this.#histogram.reset();
    return { delayMs, memoryMb: this.#memoryMb() };
  }

  /** Stops measuring (lets the thread or process end). */
  close(): void {
    this.#histogram.disable();
    clearInterval(this.#tick);
  }
}
