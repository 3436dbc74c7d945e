import type { GroupCommit } from "./GroupCommit.js";

/**
 * Writes of the open commit group, by key, so a later write can make an earlier one moot before
 * it reaches the disk: `supersede` cancels the open group's earlier write under the same key (a
 * checkpoint replaced by a newer one, a cache entry rewritten). Forgets everything when the group
 * commits, so it holds at most one group's writes.
 */
export class OpenGroupOps<K, Op extends { cancelled: boolean }> {
  readonly #group: GroupCommit;
  readonly #ops = new Map<K, Op>();
  /** The group `#ops` belongs to. */
  #generation = -1;

  constructor(group: GroupCommit) {
    this.#group = group;
  }

  /** The open group's write under `key`, if any. */
  get(key: K): Op | undefined {
    return this.#current().get(key);
  }

  /** Records `op` under `key`, cancelling the open group's earlier write under the same key. */
  supersede(key: K, op: Op): void {
    const ops = this.#current();
    const earlier = ops.get(key);
    if (earlier !== undefined) earlier.cancelled = true;
    ops.set(key, op);
  }

  /** Forgets the write under `key` (it stays queued unless the caller cancelled it). */
  delete(key: K): void {
    this.#current().delete(key);
  }

  #current(): Map<K, Op> {
    if (this.#generation !== this.#group.generation) {
      this.#generation = this.#group.generation;
      this.#ops.clear();
    }
    return this.#ops;
  }
}
