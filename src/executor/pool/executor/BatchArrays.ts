import type { Attempt, Settle } from "../../Executor.js";

/** The arrays a batch is made in ({@link BatchArrays.take}). */
export interface BatchArrayParts {
  /** Room for at least the batch's size. */
  readonly attempts: Attempt[];
  /** As long as `attempts`. */
  readonly settles: (Settle | undefined)[];
  /** Exactly the batch's size (a message carries it as it is). */
  readonly items: unknown[];
}

/** What {@link BatchArrays.give} takes back: a finished batch's arrays and its size. */
interface Finished extends BatchArrayParts {
  readonly size: number;
}

/** Finished batches' arrays an executor keeps: a few per worker's window of batches. */
const KEPT = 8;

/**
 * A pool executor's finished batches' arrays, emptied, for its next batches: a steady stream of
 * batches reuses a few sets instead of making three arrays per batch. Those would live as long as
 * their batch is out, long enough to survive young-generation collections and be copied there
 * (bench/README.md, "Batch arrays kept"). `attempts` and `settles` serve any batch they have room
 * for; `items`, which a message carries whole, only a batch of its exact size.
 */
export class BatchArrays {
  readonly #pairs: { attempts: Attempt[]; settles: (Settle | undefined)[] }[] = [];
  readonly #items: unknown[][] = [];
  /** Where the next items array goes once {@link KEPT} are kept. */
  #nextItems = 0;

  /** Arrays for a batch of `n`: kept ones where they fit, new ones otherwise. */
  take(n: number): BatchArrayParts {
    let pair: { attempts: Attempt[]; settles: (Settle | undefined)[] } | undefined;
    const pairs = this.#pairs;
    for (let k = pairs.length - 1; k >= 0; k--) {
      if (pairs[k]!.attempts.length < n) continue;
      pair = pairs[k]!;
      pairs[k] = pairs[pairs.length - 1]!;
      pairs.pop();
      break;
    }
    let items: unknown[] | undefined;
    const kept = this.#items;
    for (let k = kept.length - 1; k >= 0; k--) {
      if (kept[k]!.length !== n) continue;
      items = kept[k]!;
      kept[k] = kept[kept.length - 1]!;
      kept.pop();
      break;
    }
    return {
      attempts: pair?.attempts ?? new Array<Attempt>(n),
      settles: pair?.settles ?? new Array<Settle | undefined>(n),
      items: items ?? new Array<unknown>(n),
    };
  }

  /**
   * Keeps a finished batch's arrays, emptied first (nothing they held is kept alive). Call once
   * nothing reads the batch any more.
   */
  give(batch: Finished): void {
    const n = batch.size;
    const pairs = this.#pairs;
    // full: the new pair takes the place of the one with the least room, if it has more (a
    // roomy pair serves every smaller batch)
    let at = pairs.length;
    if (at === KEPT) {
      at = 0;
      for (let k = 1; k < KEPT; k++) if (pairs[k]!.attempts.length < pairs[at]!.attempts.length) at = k;
      if (pairs[at]!.attempts.length >= batch.attempts.length) at = -1;
    }
    if (at >= 0) {
      (batch.attempts as (Attempt | undefined)[]).fill(undefined, 0, n);
      batch.settles.fill(undefined, 0, n);
      pairs[at] = { attempts: batch.attempts, settles: batch.settles };
    }
    // items serve their exact size only: full, the newest take the oldest's places in turn
    batch.items.fill(undefined);
    if (this.#items.length < KEPT) this.#items.push(batch.items);
    else {
      this.#items[this.#nextItems] = batch.items;
      this.#nextItems = (this.#nextItems + 1) % KEPT;
    }
  }
}
