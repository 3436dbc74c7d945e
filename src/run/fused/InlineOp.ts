import { itemKey, type ItemKeys } from "../../executor/ItemKeys.js";
import type { StageContext } from "../../stage/StageContext.js";
import type { ErrorPolicy } from "../../stage/StageKind.js";
import type { StageCounters } from "../../stats/StageCounters.js";

/**
 * The context a fused stage hands its function: one object per stage for the whole run, whose
 * `index` the fused loop sets to the item's source index before each call. Nothing is allocated
 * per item; a function that keeps `ctx` after it returned (or after its promise settled) sees
 * the next item's index.
 */
export interface FusedContext extends StageContext {
  /** Source index of the item being processed (written by the fused loop). */
  index: number;
}

/** A synchronous stage fused into a step's tail: called directly, item by item, in one loop. */
export interface InlineOp {
  /** What the op does with the function's result. */
  readonly kind: "map" | "filter" | "flatMap" | "tap" | "sink";
  /** The stage function. */
  readonly fn: (item: unknown, ctx: StageContext) => unknown;
  /** The stage's reused context (attempt 1, the run's signal, the current item's index). */
  readonly ctx: FusedContext;
  /** What happens to an item whose call threw or rejected. */
  readonly onError: ErrorPolicy;
  /** The stage's counters (in/out are folded in per chunk). */
  readonly counters: StageCounters;
}

/**
 * A fresh context for a fused stage: `index` is -1 until the first item. With `keys` (a
 * durable run), `key` is read from the current index when the function asks for it (no per-item
 * work for functions that do not); `index` is then the source index of the id the loop wrote (a
 * flatMap child's id is not one).
 */
export function fusedContext(signal: AbortSignal, stage: string, keys?: ItemKeys): FusedContext {
  if (keys === undefined) return { signal, attempt: 1, stage, index: -1, retryAfter: ignoreRetryAfter };
  return new KeyedContext(signal, stage, keys);
}

/**
 * A keyed run's fused context: the loop writes the item's id, a flatMap child's being its source
 * index plus a fraction (`ChildKeys`); `index` reads the source index, `key` the key. The id is a
 * field that holds doubles, so writing one does not allocate.
 */
class KeyedContext implements FusedContext {
  readonly signal: AbortSignal;
  readonly attempt = 1;
  readonly stage: string;
  readonly #keys: ItemKeys;
  #id = -0.5;

  constructor(signal: AbortSignal, stage: string, keys: ItemKeys) {
    this.signal = signal;
    this.stage = stage;
    this.#keys = keys;
    this.#id = -1;
  }

  get index(): number {
    return Math.floor(this.#id);
  }

  set index(id: number) {
    this.#id = id;
  }

  get key(): string {
    return itemKey(this.#keys, this.#id);
  }

  retryAfter(): void {}
}

/** Inline stages have no rate limiter or adaptive limit to tell. */
function ignoreRetryAfter(): void {}
