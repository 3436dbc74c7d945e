import type { Clock } from "../time/Clock.js";
import { LatencyHistogram } from "./LatencyHistogram.js";

/** How often a run with metrics looks whether its watermark passed batches it admitted, ms. */
const CHECK_EVERY_MS = 5;

/**
 * A pipeline's end-to-end item latency, counted per source batch: the time from a batch's
 * admission by the source to the first check that finds the run's low watermark past the batch
 * (every item of it left the pipeline: sunk, filtered out, dropped or dead-lettered), recorded
 * once for each of its items. Checked when the source admits a batch, every 5 ms, and when the
 * run ends: nothing per item, a clock read per source batch, precise to about 5 ms (or the
 * interval between source batches, when shorter). Items the run never finished are not counted.
 */
export class ItemLatency {
  /** The latencies, ms (one sample per item). */
  readonly histogram = new LatencyHistogram();
  readonly #clock: Clock;
  readonly #watermark: () => number;
  /** Admitted batches not yet passed: end (exclusive source index), size, admission time; from #head. */
  #ends: number[] = [];
  #sizes: number[] = [];
  #times: number[] = [];
  #head = 0;
  #admittedEnd = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  /** @param watermark the run's low watermark: every source index below it is done */
  constructor(clock: Clock, watermark: () => number) {
    this.#clock = clock;
    this.#watermark = watermark;
    this.#timer = setInterval(() => this.#check(this.#clock.now()), CHECK_EVERY_MS);
    this.#timer.unref();
  }

  /** The source admitted the items `[start, start + n)`. */
  admitted(start: number, n: number): void {
    const now = this.#clock.now();
    if (start + n > this.#admittedEnd) this.#admittedEnd = start + n;
    this.#ends.push(start + n);
    this.#sizes.push(n);
    this.#times.push(now);
    this.#check(now);
  }

  /** One past the highest source index admitted so far (0 before the first batch). */
  get admittedEnd(): number {
    return this.#admittedEnd;
  }

  /** The run ended: a last check (at the run's end), and no more timer. */
  end(): void {
    clearInterval(this.#timer);
    this.#check(this.#clock.now());
  }

  #check(now: number): void {
    if (this.#head === this.#ends.length) return;
    const w = this.#watermark();
    while (this.#head < this.#ends.length && this.#ends[this.#head]! <= w) {
      this.histogram.recordMany(now - this.#times[this.#head]!, this.#sizes[this.#head]!);
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#ends.length) {
      this.#ends = this.#ends.slice(this.#head);
      this.#sizes = this.#sizes.slice(this.#head);
      this.#times = this.#times.slice(this.#head);
      this.#head = 0;
    }
  }
}
