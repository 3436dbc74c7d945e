import type { Group } from "../../Executor.js";
import type { PoolBatch } from "../workers/PoolClient.js";
import type { PoolWorker } from "../workers/PoolWorker.js";

/**
 * A {@link Group} on its way to a worker and back, as one batch: its items are the message's, and
 * the group ends once, through its owner, when the reply comes (or when the batch cannot finish).
 * A group's items have no timeout of their own (an executor with a timeout takes no groups).
 */
export class GroupBatch implements PoolBatch {
  worker: PoolWorker | undefined = undefined;
  readonly size: number;
  readonly limitMs = undefined;
  readonly isolated = false;
  readonly timeoutMs = undefined;
  /** The group ended already (its signal aborted while the batch was out): a late reply is dropped. */
  ended = false;

  constructor(
    readonly id: number,
    readonly group: Group,
  ) {
    this.size = group.size;
  }
}
