import type { Group } from "../../Executor.js";
import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";

/**
 * One or more {@link Group}s on their way to a worker and back, as one batch: their items, one
 * group after another, are the message's, and each group ends once, through its owner, when the
 * reply comes (or when the batch cannot finish). Groups that arrived a few at a time (a source
 * slower than the pool) go together up to the batch size, as single attempts would. A group's
 * items have no timeout of their own (an executor with a timeout takes no groups).
 */
export class GroupBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;
  /** Items in all its groups. */
  readonly size: number;
  readonly limitMs = undefined;
  readonly isolated = false;
  readonly timeoutMs = undefined;
  /** Where each group's items start among the batch's. */
  readonly starts: readonly number[];
  /** Its groups ended already (their signal aborted while the batch was out): a late reply is dropped. */
  ended = false;

  constructor(
    readonly id: number,
    /** Its groups, all under one signal. */
    readonly groups: readonly Group[],
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
    for (const g of groups) for (let k = 0; k < g.size; k++) indices.push(g.indices?.[k] ?? g.index + k);
    return indices;
  }
}
