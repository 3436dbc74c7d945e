/**
 * Time a step spent back-pressured: waiting for room in a full channel below. Any number of waits
 * may overlap (several channels, several routed items): the time counts once, from the first wait
 * that began to the last that ended. Touched only when a channel is full, never per item.
 */
export class BlockedTime {
  #waits = 0;
  #since = 0;
  #totalMs = 0;
  readonly #now: () => number;

  /** @param now the run's clock, in ms */
  constructor(now: () => number) {
    this.#now = now;
  }

  /** A wait for room began. */
  begin(): void {
    if (this.#waits++ === 0) this.#since = this.#now();
  }

  /** A wait for room ended (got room, or was given up). */
  end(): void {
    if (this.#waits === 0) return;
    if (--this.#waits === 0) this.#totalMs += this.#now() - this.#since;
  }

  /** True while a wait is under way. */
  get blocked(): boolean {
    return this.#waits > 0;
  }

  /** Milliseconds spent blocked up to `now` (a wait under way counts up to it). */
  totalMs(now: number): number {
    return this.#totalMs + (this.#waits > 0 ? Math.max(0, now - this.#since) : 0);
  }
}
