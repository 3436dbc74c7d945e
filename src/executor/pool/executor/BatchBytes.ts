/**
 * Most bytes a batch bound for a child process is sized to encode to. Tiny items are far from it
 * (1,024 numbers take about 3 KB in msgpack, 1,024 records of four fields about 27 KB); large
 * items that cost little to run are what it holds back: items of 128 KiB go 32 to a frame instead
 * of up to a thousand to a frame of over 100 MB, which the pipe carries no faster and which the
 * parent, the child and the reply each hold whole.
 */
export const BATCH_BYTES = 4 * 1024 * 1024;

/**
 * How many items a batch may hold for its frame to stay near {@link BATCH_BYTES} (and well under
 * the pool's `maxFrameBytes`), learned from the frames a pool stage sent: a moving average of
 * bytes per item that jumps at once when items turn larger. Until a frame was measured (and for
 * threads, whose messages are not measured) it holds nothing back.
 */
export class BatchBytes {
  readonly #budget: number;
  #perItem = 0;
  /** Most items a batch may hold (Infinity until a frame was measured). */
  cap = Number.POSITIVE_INFINITY;

  /** @param maxFrameBytes the pool's limit on one frame: a batch is sized to a quarter of it at most */
  constructor(maxFrameBytes: number) {
    this.#budget = Math.max(1, Math.min(BATCH_BYTES, Math.floor(maxFrameBytes / 4)));
  }

  /** A batch of `items` items went out in a frame of `bytes` bytes. */
  sent(items: number, bytes: number): void {
    if (!(items > 0 && bytes >= 0)) return;
    const per = bytes / items;
    this.#perItem = per >= this.#perItem ? per : this.#perItem * 0.7 + per * 0.3;
    this.cap = this.#perItem > 0 ? Math.max(1, Math.floor(this.#budget / this.#perItem)) : Number.POSITIVE_INFINITY;
  }
}
