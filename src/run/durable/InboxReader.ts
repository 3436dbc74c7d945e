import type { SourceReader } from "../../source/SourceReader.js";
import type { InboxEntry, RunHandle } from "../../store/RunHandle.js";

/**
 * The source of a durable run over a non-replayable source (an async iterable, a stream).
 *
 * Each read of the source is written to the store's inbox as **one row per chunk**: the row's
 * index is the chunk's first source index, its item the chunk's items (an array); the row is
 * removed once the run's watermark passes the chunk's end. So the inbox costs one encoded write
 * per chunk, not per item.
 *
 * A resumed run first replays the chunks it found in the inbox, item by item under their old
 * indexes (skipping those below the checkpoint's watermark, and those `done` holds), then reads the source on under
 * new indexes from `next`.
 */
export class InboxReader<T> implements SourceReader<T> {
  readonly #inner: SourceReader<T>;
  readonly #run: RunHandle;
  /** Items to replay, ascending by index. */
  readonly #replay: Array<{ readonly index: number; readonly item: unknown }> = [];
  #replayAt = 0;
  readonly #next: number;
  /** Chunks in the inbox, ascending: their first index and their end (exclusive), from `#head` on. */
  readonly #starts: number[] = [];
  readonly #ends: number[] = [];
  #head = 0;
  /** The inbox row index of a chunk starting at this position (several sources: the run-wide index). */
  readonly #rowIndex: (position: number) => number;

  constructor(
    inner: SourceReader<T>,
    run: RunHandle,
    inbox: readonly InboxEntry[],
    next: number,
    watermark: number,
    done?: { has(index: number): boolean },
    rowIndex: (position: number) => number = (position) => position,
  ) {
    this.#rowIndex = rowIndex;
    this.#inner = inner;
    this.#run = run;
    this.#next = next;
    for (const row of inbox) {
      const items = Array.isArray(row.item) ? (row.item as unknown[]) : [row.item];
      this.#starts.push(row.index);
      this.#ends.push(row.index + items.length);
      for (let i = 0; i < items.length; i++) {
        if (row.index + i >= watermark && done?.has(row.index + i) !== true)
          this.#replay.push({ index: row.index + i, item: items[i] });
      }
    }
  }

  read(max: number, out: T[]): number | Promise<number> {
    if (this.#replayAt < this.#replay.length) {
      out[0] = this.#replay[this.#replayAt++]!.item as T;
      return 1;
    }
    const base = this.position;
    const r = this.#inner.read(max, out);
    if (typeof r === "number") return this.#admit(out, base, r);
    return r.then((n) => this.#admit(out, base, n));
  }

  #admit(out: T[], base: number, n: number): number {
    if (n === 0) return 0;
    this.#run.inboxAdd(this.#rowIndex(base), out.slice(0, n));
    this.#starts.push(base);
    this.#ends.push(base + n);
    return n;
  }

  /** Removes from the inbox every chunk whose items are all below `watermark` (all done). */
  removeBelow(watermark: number): void {
    let h = this.#head;
    while (h < this.#starts.length && this.#ends[h]! <= watermark)
      this.#run.inboxRemove(this.#rowIndex(this.#starts[h++]!));
    if (h > 4096 && h * 2 > this.#starts.length) {
      this.#starts.splice(0, h);
      this.#ends.splice(0, h);
      h = 0;
    }
    this.#head = h;
  }

  get done(): boolean {
    return this.#replayAt >= this.#replay.length && this.#inner.done;
  }

  /** The index of the next item this reader gives. */
  get position(): number {
    if (this.#replayAt < this.#replay.length) return this.#replay[this.#replayAt]!.index;
    return this.#next + this.#inner.position;
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}
