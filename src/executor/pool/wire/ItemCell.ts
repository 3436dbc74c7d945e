/**
 * Where a worker thread's loop is, in two 32-bit words of memory it shares with its pool: the
 * thread writes them as each item of a timed chain enters its function, and the pool reads them
 * without a message. Word {@link CELL_ITEMS} counts the items entered (wrapping), word
 * {@link CELL_AT} holds the item being run: its batch id (modulo 2^15) and position, or -1 when
 * the loop is in no item (between batches, or its items wait asynchronously). The same values
 * read `timeoutMs` apart mean the same item has been inside its synchronous call all that while
 * (see `Watchdog`): the pool can time an item of a batch it was not told about item by item.
 *
 * Each word is read and written whole (aligned 32-bit typed-array accesses do not tear), and the
 * pool only acts on two reads that agree on both words, so it never needs them written in order.
 */
export const CELL_ITEMS = 0;
export const CELL_AT = 1;
/** Words in a cell. */
export const CELL_WORDS = 2;

/** The value of {@link CELL_AT} for item `k` of batch `b`; -1 past the positions it can hold. */
export function cellAt(b: number, k: number): number {
  return k < 0x10000 ? ((b & 0x7fff) << 16) | k : -1;
}

/** True when `at` (a {@link CELL_AT} value, not -1) is an item of batch `id`. */
export function cellInBatch(at: number, id: number): boolean {
  return at >>> 16 === (id & 0x7fff);
}

/** The item's position in its batch, from a {@link CELL_AT} value (not -1). */
export function cellItem(at: number): number {
  return at & 0xffff;
}
