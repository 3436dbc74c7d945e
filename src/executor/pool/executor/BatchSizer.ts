/**
 * Picks how many items go to a worker in one message so each batch takes about `targetMs` of
 * work there: tiny items travel by the thousand (the message costs less than the items), slow
 * ones one by one (so they still balance across workers). Learns from the time per item each
 * worker reports: a moving average that jumps at once when items turn slower.
 */
export class BatchSizer {
  readonly #targetMs: number;
  readonly #max: number;
  /** Estimated work per item, in ms; NaN until the first report. */
  #perItemMs = Number.NaN;
  /** Current batch size, always in 1..max. */
  size: number;

  /**
   * Starts at `initial` items a batch, or, given `learnedMs` (the cost per item an earlier
   * executor of the same chain measured), at the size that cost asks for, as after a first report.
   */
  constructor(targetMs: number, max: number, initial = 16, learnedMs?: number) {
    this.#targetMs = targetMs;
    this.#max = max;
    this.size = Math.max(1, Math.min(max, initial));
    if (learnedMs !== undefined) this.update(learnedMs);
  }

  /** Folds in one report of mean ms per item. */
  update(perItemMs: number): void {
    if (!(perItemMs >= 0)) return;
    const prev = this.#perItemMs;
    this.#perItemMs = Number.isNaN(prev) || perItemMs > 4 * prev ? perItemMs : prev * 0.7 + perItemMs * 0.3;
    const est = this.#perItemMs;
    this.size = est <= 0 ? this.#max : Math.max(1, Math.min(this.#max, Math.round(this.#targetMs / est)));
  }

  /** Estimated ms of work per item (NaN before the first report). */
  get perItemMs(): number {
    return this.#perItemMs;
  }
}
