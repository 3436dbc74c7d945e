import { itemKey, type ItemKeys } from "../../ItemKeys.js";
import { collectTransferables } from "../wire/collectTransferables.js";
import { MSG_BATCH } from "../wire/WireMessage.js";
import type { OutgoingBatch } from "../workers/PoolClient.js";
import type { AttemptBatch } from "./AttemptBatch.js";

/**
 * The message that carries `batch`'s attempts to a worker, for chain `chain`: the items, their
 * source indices (one number when they are consecutive) and attempt numbers (one number when all
 * are equal), and with `transfer` (threads, `transferItems`) the items' ArrayBuffers to move.
 */
export function batchMessage(
  batch: AttemptBatch,
  chain: number,
  transfer: boolean,
  keys?: ItemKeys,
): OutgoingBatch<AttemptBatch> {
  const entries = batch.entries;
  const n = entries.length;
  // filled by push, so the arrays stay packed (a holey array encodes slower)
  const items: unknown[] = [];
  const indices: number[] = [];
  const attempts: number[] = [];
  let sameAttempt = true;
  let consecutive = true;
  let buffers: ArrayBuffer[] | undefined;
  for (let k = 0; k < n; k++) {
    const e = entries[k]!;
    items.push(e.item);
    indices.push(e.index);
    attempts.push(e.attempt);
    if (k > 0) {
      if (e.attempt !== attempts[0]) sameAttempt = false;
      if (consecutive && e.index !== indices[k - 1]! + 1) consecutive = false;
    }
    if (transfer && e.item !== null && typeof e.item === "object")
      buffers = collectTransferables(e.item, buffers ?? []);
  }
  const message = {
    t: MSG_BATCH,
    b: batch.id,
    c: chain,
    x: items,
    i: consecutive ? (indices[0] ?? 0) : indices,
    a: sameAttempt ? (attempts[0] ?? 1) : attempts,
  } as const;
  return {
    batch,
    message:
      keys === undefined
        ? message
        : keys.listed !== undefined
          ? { ...message, kl: indices.map((i) => itemKey(keys, i)) }
          : keys.sources === undefined
            ? { ...message, k: keys.prefix }
            : { ...message, k: keys.prefix, ks: keys.sources },
    transfer: buffers,
  };
}
