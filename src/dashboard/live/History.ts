/**
 * The last `capacity` samples of a few series (one per stage), for the throughput charts: a ring
 * per series, so keeping an hour of samples costs the same per sample as keeping a minute.
 */
export class History {
  readonly #capacity: number;
  readonly #times: number[] = [];
  readonly #series = new Map<string, number[]>();
  #next = 0;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Adds one sample: a value per series at time `t` (ms). */
  push(t: number, values: ReadonlyMap<string, number>): void {
    const full = this.#times.length === this.#capacity;
    const at = full ? this.#next : this.#times.length;
    this.#times[at] = t;
    for (const [name, value] of values) {
      let series = this.#series.get(name);
      if (series === undefined) this.#series.set(name, (series = new Array<number>(this.#times.length).fill(0)));
      series[at] = value;
    }
    this.#next = (at + 1) % this.#capacity;
  }

  /** The samples, oldest first: `{ t: [...], series: { name: [...] } }`. */
  toJSON(): { t: number[]; series: Record<string, number[]> } {
    const order = (xs: readonly number[]): number[] =>
      xs.length < this.#capacity ? [...xs] : [...xs.slice(this.#next), ...xs.slice(0, this.#next)];
    const series: Record<string, number[]> = {};
    for (const [name, xs] of this.#series) series[name] = order(xs);
    return { t: order(this.#times), series };
  }
}
