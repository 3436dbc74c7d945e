import type { Attempt } from "../../Executor.js";
import { itemKey, type ItemKeys } from "../../ItemKeys.js";
import { collectTransferables } from "../wire/collectTransferables.js";
import { MSG_BATCH } from "../wire/WireMessage.js";
import type { OutgoingBatch, PoolBatch } from "../workers/PoolClient.js";
import type { AttemptBatch } from "./AttemptBatch.js";
import type { GroupBatch } from "./GroupBatch.js";

/**
 * The message that carries `batch`'s attempts to a worker, for chain `chain`: the items (the
 * batch's own array, not a copy), their source indices (one number when they are consecutive)
 * and attempt numbers (one number when all are equal), and with `transfer` (threads,
 * `transferItems`) the items' ArrayBuffers to move.
 */
export function batchMessage(
  batch: AttemptBatch,
  chain: number,
  transfer: boolean,
  keys?: ItemKeys,
): OutgoingBatch<AttemptBatch> {
  const attempts = batch.attempts;
  const n = batch.size;
  const first = n > 0 ? attempts[0]! : undefined;
  const index0 = first?.index ?? 0;
  const attempt0 = first?.attempt ?? 1;
  let consecutive = true;
  let sameAttempt = true;
  for (let k = 1; k < n; k++) {
    const a = attempts[k]!;
    if (a.index !== index0 + k) consecutive = false;
    if (a.attempt !== attempt0) sameAttempt = false;
    if (!consecutive && !sameAttempt) break;
  }
  return carry(
    batch,
    batch.items,
    chain,
    index0,
    consecutive ? undefined : each(attempts, n, (a) => a.index),
    sameAttempt ? attempt0 : each(attempts, n, (a) => a.attempt),
    transfer,
    keys,
  );
}

/** {@link batchMessage} for a batch of groups: their items in order, each on its first attempt. */
export function groupMessage(
  batch: GroupBatch,
  chain: number,
  transfer: boolean,
  keys?: ItemKeys,
): OutgoingBatch<GroupBatch> {
  return carry(batch, batch.items(), chain, batch.groups[0]!.index, batch.indices(), 1, transfer, keys);
}

/**
 * The batch message for `items`, whose source indices are `indices` (undefined: `index0`,
 * `index0 + 1`, …) and attempts `attempts` (one number: all the same).
 */
function carry<B extends PoolBatch>(
  batch: B,
  items: unknown[],
  chain: number,
  index0: number,
  indices: readonly number[] | undefined,
  attempts: number | number[],
  transfer: boolean,
  keys: ItemKeys | undefined,
): OutgoingBatch<B> {
  const n = items.length;
  let buffers: ArrayBuffer[] | undefined;
  if (transfer) {
    for (let k = 0; k < n; k++) {
      const item = items[k];
      if (item !== null && typeof item === "object") buffers = collectTransferables(item, buffers ?? []);
    }
  }
  const message = {
    t: MSG_BATCH,
    b: batch.id,
    c: chain,
    x: items,
    i: indices === undefined ? index0 : (indices as number[]),
    a: attempts,
  } as const;
  if (keys === undefined) return { batch, message, transfer: buffers };
  // a keyed run's flatMap children travel under ids of their own: the worker gets their source
  // indexes (`ctx.index`) and each item's key
  const children = indices === undefined ? index0 % 1 !== 0 : indices.some((i) => i % 1 !== 0);
  const all = indices ?? Array.from({ length: n }, (_, k) => index0 + k);
  return {
    batch,
    message:
      keys.listed !== undefined || children
        ? {
            ...message,
            ...(children ? { i: all.map((i) => Math.floor(i)) } : {}),
            kl: all.map((i) => itemKey(keys, i)),
          }
        : keys.sources === undefined
          ? { ...message, k: keys.prefix }
          : { ...message, k: keys.prefix, ks: keys.sources },
    transfer: buffers,
  };
}

/** `f` of each of the first `n` attempts (a batch's arrays may be longer than the batch). */
function each<T>(attempts: readonly Attempt[], n: number, f: (a: Attempt) => T): T[] {
  const out = new Array<T>(n);
  for (let k = 0; k < n; k++) out[k] = f(attempts[k]!);
  return out;
}
