import type { Attempt, BatchSettle, Settle } from "../../Executor.js";
import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";
import type { BatchArrayParts } from "./BatchArrays.js";

/**
 * A batch of attempts as its executor made it: the pool carries it to a worker and back. Held in
 * parallel arrays (no object per item): position `k` (below {@link size}) is `attempts[k]`,
 * settled through `settles[k]` until that is cleared (settled exactly once). `items` is what the
 * message carries: exactly {@link size} long. `attempts` and `settles` may be longer (arrays an
 * earlier, larger batch left: {@link BatchArrays}); read them below {@link size} only.
 */
export class AttemptBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;
  /** Its attempts, by position in the batch. */
  readonly attempts: Attempt[];
  /** Each attempt's settle; undefined once it settled. */
  readonly settles: (Settle | undefined)[];
  /** Each attempt's item, as sent. */
  readonly items: unknown[];
  /** Attempts added so far (the batch holds {@link size} once full). */
  #added = 0;
  /** Attempts not settled yet. */
  open = 0;
  /** The signal of its first attempt. */
  signal: AbortSignal | undefined = undefined;
  /** True when all its attempts share {@link signal}. */
  oneSignal = true;
  /** The runner that owns every settle of the batch, when one does and it resolves in batches. */
  owner: BatchSettle | undefined = undefined;

  /** Its attempts: the room it was made with, or fewer once {@link seal}ed. */
  size: number;

  /**
   * A batch of room for `size` attempts, to be filled by calls of {@link add}, then sealed; in
   * `arrays` (from a {@link BatchArrays} store) when given: `attempts` and `settles` with room
   * for at least `size`, `items` of exactly `size`.
   */
  constructor(
    readonly id: number,
    size: number,
    readonly limitMs: number | undefined,
    readonly isolated: boolean,
    readonly timeoutMs: number | undefined,
    arrays?: BatchArrayParts,
  ) {
    this.size = size;
    if (arrays !== undefined) {
      this.attempts = arrays.attempts;
      this.settles = arrays.settles;
      this.items = arrays.items;
    } else {
      this.attempts = new Array<Attempt>(size);
      this.settles = new Array<Settle | undefined>(size);
      this.items = new Array<unknown>(size);
    }
  }

  /** Adds the next attempt (at most {@link size} in all). */
  add(attempt: Attempt, settle: Settle): void {
    const k = this.#added++;
    this.attempts[k] = attempt;
    this.settles[k] = settle;
    this.items[k] = attempt.item;
    this.open++;
    if (k === 0) {
      this.signal = attempt.signal;
      this.owner = settle.owner;
    } else {
      if (attempt.signal !== this.signal) this.oneSignal = false;
      if (settle.owner !== this.owner) this.owner = undefined;
    }
  }

  /**
   * Ends filling: a batch given fewer attempts than its room shrinks to them (its `items`, which
   * the message carries, to their number; `attempts` and `settles` keep their room).
   */
  seal(): void {
    const n = this.#added;
    if (n === this.size) return;
    this.items.length = n;
    this.size = n;
  }
}
