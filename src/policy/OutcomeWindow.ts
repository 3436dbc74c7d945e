/**
 * Successes and failures over a sliding time window, in a fixed number of buckets (so memory is
 * constant whatever the traffic): the counts cover the last `windowMs`, give or take one bucket.
 */
export class OutcomeWindow {
  readonly #bucketMs: number;
  readonly #ok: Float64Array;
  readonly #failed: Float64Array;
  /** Index (time / bucketMs) of the newest bucket written. */
  #newest = -Infinity;

  constructor(windowMs: number, buckets = 10) {
    this.#bucketMs = windowMs / buckets;
    this.#ok = new Float64Array(buckets);
    this.#failed = new Float64Array(buckets);
  }

  /** Records one outcome at `now`. */
  record(ok: boolean, now: number): void {
    const i = this.#advance(now);
    if (ok) this.#ok[i]!++;
    else this.#failed[i]!++;
  }

  /** Outcomes in the window ending at `now`. */
  counts(now: number): { total: number; failures: number } {
    this.#advance(now);
    let ok = 0;
    let failed = 0;
    for (let k = 0; k < this.#ok.length; k++) {
      ok += this.#ok[k]!;
      failed += this.#failed[k]!;
    }
    return { total: ok + failed, failures: failed };
  }

  /** Forgets everything. */
  clear(): void {
    this.#ok.fill(0);
    this.#failed.fill(0);
  }

  /** Clears the buckets that fell out of the window; returns the slot of `now`'s bucket. */
  #advance(now: number): number {
    const n = this.#ok.length;
    const index = Math.floor(now / this.#bucketMs);
    if (index > this.#newest) {
      const stale = Math.min(n, index - this.#newest);
      for (let k = 0; k < stale; k++) {
        const slot = (((index - k) % n) + n) % n;
        this.#ok[slot] = 0;
        this.#failed[slot] = 0;
      }
      this.#newest = index;
    }
    return ((Math.min(index, this.#newest) % n) + n) % n;
  }
}
