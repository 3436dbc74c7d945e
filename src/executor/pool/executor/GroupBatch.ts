import type { Group } from "../../Executor.js";
import { groupIndexAt } from "../../groupIndex.js";
import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";

/**
 * One or more {@link Group}s on their way to a worker and back, as one batch: their items, one
 * group after another, are the message's, and each group ends once, through its owner, when the
 * reply comes (or when the batch cannot finish). Groups that arrived a few at a time (a source
 * slower than the pool) go together up to the batch size, as single attempts would. A timed
 * stage's items are timed one by one in the worker, as any batch's are.
 */
export class GroupBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;
  /** Items in all its groups. */
  readonly size: number;
  readonly isolated = false;
  /** Where each group's items start among the batch's. */
  readonly starts: readonly number[];
  /** Its groups ended already (their signal aborted while the batch was out): a late reply is dropped. */
  ended = false;

  constructor(
    readonly id: number,
    /** Its groups, all under one signal. */
    readonly groups: readonly Group[],
    /** How long the batch may run (see {@link PoolBatch.limitMs}); undefined: no limit. */
    readonly limitMs: number | undefined,
    /** The stage's timeout for each item, from when its worker starts it. */
    readonly timeoutMs: number | undefined,
  ) {
    const starts: number[] = [];
    let size = 0;
    for (const g of groups) {
      starts.push(size);
      size += g.size;
    }
    this.starts = starts;
    this.size = size;
  }

  /** Which of its groups holds the batch's item `at` (below {@link size}). */
  groupAt(at: number): number {
    const starts = this.starts;
    let j = starts.length - 1;
    while (starts[j]! > at) j--;
    return j;
  }

  /** Source index of the batch's item `at`. */
  indexAt(at: number): number {
    const j = this.groupAt(at);
    return groupIndexAt(this.groups[j]!, at - this.starts[j]!);
  }

  /** The items the message carries: the only group's own array, or the groups' items in order. */
  items(): unknown[] {
    const groups = this.groups;
    if (groups.length === 1) return groups[0]!.items;
    const items = new Array<unknown>(this.size);
    let at = 0;
    for (const g of groups) {
      const own = g.items;
      for (let k = 0; k < g.size; k++) items[at++] = own[k];
    }
    return items;
  }

  /**
   * The items' source indices: undefined when they follow one another from the first group's
   * `index` (every group's do, and each group starts where the one before ended).
   */
  indices(): number[] | undefined {
    const groups = this.groups;
    let next = groups[0]!.index;
    let consecutive = true;
    for (const g of groups) {
      if (g.indices !== undefined || g.index !== next) {
        consecutive = false;
        break;
      }
      next += g.size;
    }
    if (consecutive) return undefined;
    const indices: number[] = [];
    for (const g of groups) for (let k = 0; k < g.size; k++) indices.push(groupIndexAt(g, k));
    return indices;
  }
}
