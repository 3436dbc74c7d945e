import type { LatencySummary } from "./StageStats.js";

const SUB = 8; // sub-buckets per power of two: about 12% relative error
const BUCKETS = SUB + 29 * SUB;

/**
 * A fixed-size log-linear histogram of durations (microsecond resolution, up to about 35 minutes;
 * longer ones count in the last bucket, negative or NaN ones in the first): 240 counters whatever
 * the number of samples. Percentiles are accurate to about 12%.
 */
export class LatencyHistogram {
  /** Counters every histogram holds, whatever it recorded. */
  static readonly bucketCount = BUCKETS;
  readonly #counts = new Float64Array(BUCKETS);
  #count = 0;
  #max = 0;
  /** Sum of the samples, ms (non-positive and NaN ones count as 0). */
  #sumMs = 0;
  /** The last duration recorded and its bucket: items settled together often share a duration. */
  #lastMs = Number.NaN;
  #lastIdx = 0;

  /**
   * True when each recording is reported as an attempt of its own (a traced stage's histogram):
   * the engine then records item by item, where it may otherwise record equal durations together.
   */
  get tracesAttempts(): boolean {
    return false;
  }

  /** Records one duration in milliseconds. */
  record(ms: number): void {
    this.recordMany(ms, 1);
  }

  /** Records `n` samples of the same duration (a fused chunk's per-item time). */
  recordMany(ms: number, n: number): void {
    let idx: number;
    if (ms === this.#lastMs) idx = this.#lastIdx;
    else {
      const us = ms > 0 ? Math.min(0x7fffffff, Math.round(ms * 1000)) : 0;
      if (us < SUB) idx = us;
      else {
        const msb = 31 - Math.clz32(us);
        idx = SUB + (msb - 3) * SUB + ((us >>> (msb - 3)) & (SUB - 1));
      }
      this.#lastMs = ms;
      this.#lastIdx = idx;
      if (ms > this.#max) this.#max = ms;
    }
    this.#counts[idx]! += n;
    this.#count += n;
    if (ms > 0) this.#sumMs += ms * n;
  }

  /** Sum of the samples recorded, in ms (what a Prometheus histogram's `_sum` reports). */
  get sumMs(): number {
    return this.#sumMs;
  }

  /**
   * Cumulative counts at each bound (ms, ascending): how many samples fell at or below it, to the
   * histogram's resolution (a sample counts under a bound when its bucket lies below the bound;
   * the bucket holding the bound counts in full when its midpoint is at or below it).
   */
  cumulative(boundsMs: readonly number[]): number[] {
    const out: number[] = [];
    // what a metrics reading asks of every stage, often of histograms that saw nothing
    if (this.#count === 0) {
      for (let b = 0; b < boundsMs.length; b++) out.push(0);
      return out;
    }
    let i = 0;
    let seen = 0;
    for (const bound of boundsMs) {
      const us = bound * 1000;
      while (i < BUCKETS && MIDS[i]! <= us) seen += this.#counts[i++]!;
      out.push(seen);
    }
    return out;
  }

  /** Samples recorded. */
  get count(): number {
    return this.#count;
  }

  /** Counters this histogram holds now: {@link LatencyHistogram.bucketCount}, however many samples it saw. */
  get buckets(): number {
    return this.#counts.length;
  }

  /** Samples counted across the buckets: equals {@link LatencyHistogram.count} (none falls outside). */
  get bucketed(): number {
    let sum = 0;
    for (let i = 0; i < BUCKETS; i++) sum += this.#counts[i]!;
    return sum;
  }

  /** The value below which `q` (0..1) of the samples fall, in ms (bucket midpoint). */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const target = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.#counts[i]!;
      if (seen >= target) return Math.min(this.#max, bucketMid(i) / 1000);
    }
    return this.#max;
  }

  /** p50, p90, p99 and max. */
  summary(): LatencySummary {
    return Object.freeze({
      count: this.#count,
      p50: this.quantile(0.5),
      p90: this.quantile(0.9),
      p99: this.quantile(0.99),
      max: this.#max,
    });
  }
}

function bucketMid(i: number): number {
  if (i < SUB) return i;
  const k = i - SUB;
  const msb = Math.floor(k / SUB) + 3;
  const sub = k % SUB;
  const low = (SUB + sub) * 2 ** (msb - 3);
  const width = 2 ** (msb - 3);
  return low + width / 2;
}

/** Each bucket's midpoint, µs (read for every bucket at each metrics reading). */
const MIDS = Float64Array.from({ length: BUCKETS }, (_, i) => bucketMid(i));
