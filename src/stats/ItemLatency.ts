import type { Clock } from "../time/Clock.js";
import { LatencyHistogram } from "./LatencyHistogram.js";

/** How often a run with metrics looks whether its watermark passed batches it admitted, ms. */
const CHECK_EVERY_MS = 5;
/** A source batch admitted is stamped with the clock once in this many. */
const STAMP_EVERY = 16;

/**
 * A pipeline's end-to-end item latency, counted per source batch: the time from a batch's
 * admission by the source to the first check that finds the run's low watermark past it (every
 * item of it left the pipeline: sunk, filtered out, dropped or dead-lettered), recorded once for
 * each of its items. Cheap on the hot path: an admission costs a comparison; the clock is read
 * for one source batch in 16, the batches between taking the next stamp (or the next check's);
 * the watermark is read every 5 ms and when the run ends, so a latency is precise to about 5 ms.
 * Items the run never finished are not counted.
 */
export class ItemLatency {
  /** The latencies, ms (one sample per item). */
  readonly histogram = new LatencyHistogram();
  readonly #clock: Clock;
  readonly #watermark: () => number;
  /** Stamped marks not yet passed: end (exclusive source index), items since the previous mark, time; from #head. */
  #ends: number[] = [];
  #sizes: number[] = [];
  #times: number[] = [];
  #head = 0;
  /** One past the highest source index admitted, and the end of the last mark. */
  #admittedEnd = 0;
  #markedEnd = -1;
  #calls = 0;
  readonly #timer: ReturnType<typeof setInterval>;

  /** @param watermark the run's low watermark: every source index below it is done */
  constructor(clock: Clock, watermark: () => number) {
    this.#clock = clock;
    this.#watermark = watermark;
    this.#timer = setInterval(() => this.#check(), CHECK_EVERY_MS);
    this.#timer.unref();
  }

  /** The source admitted the items `[start, start + n)`. */
  admitted(start: number, n: number): void {
    const end = start + n;
    if (end > this.#admittedEnd) this.#admittedEnd = end;
    if (this.#calls++ % STAMP_EVERY === 0) this.#mark(start, this.#clock.now());
  }

  /** One past the highest source index admitted so far (0 before the first batch). */
  get admittedEnd(): number {
    return this.#admittedEnd;
  }

  /** The run ended: a last check (at the run's end), and no more timer. */
  end(): void {
    clearInterval(this.#timer);
    this.#check();
  }

  /** Stamps what was admitted up to #admittedEnd (a batch from `start` on, or since the last mark). */
  #mark(start: number, now: number): void {
    const end = this.#admittedEnd;
    const from = this.#markedEnd < 0 ? start : this.#markedEnd;
    if (end <= from) return;
    this.#ends.push(end);
    this.#sizes.push(end - from);
    this.#times.push(now);
    this.#markedEnd = end;
  }

  #check(): void {
    const now = this.#clock.now();
    // what was admitted since the last stamp was admitted within the last check's interval
    if (this.#admittedEnd > this.#markedEnd && this.#markedEnd >= 0) this.#mark(this.#markedEnd, now);
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
