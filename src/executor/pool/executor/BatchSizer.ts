/**
 * Picks how many items go to a worker in one message so each batch takes about `targetMs` of
 * work there: tiny items travel by the thousand (the message costs less than the items), slow
 * ones one by one (so they still balance across workers). Learns from the time per item each
 * worker reports: a moving average that jumps at once when items turn slower.
 */
export class BatchSizer {
  readonly #targetMs: number;
  readonly #max: number;
  /** Estimated work per item, in ms; NaN until the first report (or a learned cost). */
  #perItemMs = Number.NaN;
  /** True while the estimate is a learned cost, not yet a report of this sizer's own. */
  #learned = false;
  /** Current batch size, always in 1..max. */
  size: number;

  /**
   * Starts at `initial` items a batch, or, given `learnedMs` (the cost per item an earlier
   * executor of the same chain measured), at the size that cost asks for. A learned cost is a
   * starting point only: the first report replaces it, as a first report replaces nothing, so items
   * that cost other than last time (other inputs) are sized by what they cost now at once.
   */
  constructor(targetMs: number, max: number, initial = 16, learnedMs?: number) {
    this.#targetMs = targetMs;
    this.#max = max;
    this.size = Math.max(1, Math.min(max, initial));
    if (learnedMs !== undefined && learnedMs >= 0) {
      this.update(learnedMs);
      this.#learned = true;
    }
  }

  /** Folds in one report of mean ms per item. */
  update(perItemMs: number): void {
    if (!(perItemMs >= 0)) return;
    const prev = this.#learned ? Number.NaN : this.#perItemMs;
    this.#learned = false;
    this.#perItemMs = Number.isNaN(prev) || perItemMs > 4 * prev ? perItemMs : prev * 0.7 + perItemMs * 0.3;
    const est = this.#perItemMs;
    this.size = est <= 0 ? this.#max : Math.max(1, Math.min(this.#max, Math.round(this.#targetMs / est)));
  }

  /** Estimated ms of work per item (NaN before the first report). */
  get perItemMs(): number {
    return this.#perItemMs;
  }
}
