import type { BatchMessage } from "../wire/WireMessage.js";

/**
 * Batches a worker received and has not started, in order, and cancellations that arrived for
 * items of them: such an item never starts.
 */
export class ReceivedBatches {
  readonly #batches: BatchMessage[] = [];
  #head = 0;
  /** Cancellations of items of batches not started, by batch then position. */
  readonly #early = new Map<number, Map<number, unknown>>();

  get empty(): boolean {
    return this.#head === this.#batches.length;
  }

  push(m: BatchMessage): void {
    this.#batches.push(m);
  }

  /** The oldest batch, taken out, with the cancellations of its items; undefined when none waits. */
  shift(): [BatchMessage, Map<number, unknown> | undefined] | undefined {
    if (this.empty) return undefined;
    const m = this.#batches[this.#head]!;
    this.#batches[this.#head++] = undefined as never;
    if (this.#head === this.#batches.length) {
      this.#batches.length = 0;
      this.#head = 0;
    }
    const early = this.#early.get(m.b);
    if (early !== undefined) this.#early.delete(m.b);
    return [m, early];
  }

  /** Notes the cancellation of item `k` of batch `b` if that batch waits here; false when it does not. */
  cancel(b: number, k: number, reason: unknown): boolean {
    if (!this.#holds(b)) return false;
    let reasons = this.#early.get(b);
    if (reasons === undefined) this.#early.set(b, (reasons = new Map()));
    reasons.set(k, reason);
    return true;
  }

  /** Drops every batch waiting here but those in `held` (the parent took the others away). */
  keepOnly(held: ReadonlySet<number>): void {
    const kept: BatchMessage[] = [];
    for (let i = this.#head; i < this.#batches.length; i++) {
      const m = this.#batches[i]!;
      if (held.has(m.b)) kept.push(m);
      else this.#early.delete(m.b);
    }
    this.#batches.length = 0;
    this.#batches.push(...kept);
    this.#head = 0;
  }

  /** Drops every batch waiting here (the worker closes: they never start). */
  clear(): void {
    this.#batches.length = 0;
    this.#head = 0;
    this.#early.clear();
  }

  #holds(b: number): boolean {
    for (let i = this.#head; i < this.#batches.length; i++) if (this.#batches[i]!.b === b) return true;
    return false;
  }
}
