import type { SourceReader } from "../../source/SourceReader.js";
import type { InboxEntry, RunHandle } from "../../store/RunHandle.js";

/**
 * The source of a durable run over a non-replayable source (an async iterable, a stream): first the
 * items a resumed run found in its inbox (admitted before, never done), one per read and each
 * under its old index, then the source's own items under new indexes from `next` on, each written
 * to the inbox as it is read (`admitted` remembers them, for the checkpoint to remove once done).
 */
export class InboxReader<T> implements SourceReader<T> {
  readonly #inner: SourceReader<T>;
  readonly #run: RunHandle;
  readonly #replay: readonly InboxEntry[];
  #replayAt = 0;
  /** `admitted[#head..]` are still in the inbox. */
  #head = 0;
  readonly #next: number;
  /** Indexes written to the inbox (from `#head` on: not yet removed), ascending. */
  readonly #admitted: number[] = [];

  constructor(inner: SourceReader<T>, run: RunHandle, replay: readonly InboxEntry[], next: number) {
    this.#inner = inner;
    this.#run = run;
    this.#replay = replay;
    this.#next = next;
    for (const e of replay) this.#admitted.push(e.index);
  }

  read(max: number, out: T[]): number | Promise<number> {
    if (this.#replayAt < this.#replay.length) {
      out.push(this.#replay[this.#replayAt++]!.item as T);
      return 1;
    }
    const base = this.position;
    const start = out.length;
    const r = this.#inner.read(max, out);
    if (typeof r === "number") return this.#admit(out, start, base, r);
    return r.then((n) => this.#admit(out, start, base, n));
  }

  #admit(out: T[], start: number, base: number, n: number): number {
    for (let i = 0; i < n; i++) {
      this.#run.inboxAdd(base + i, out[start + i]);
      this.#admitted.push(base + i);
    }
    return n;
  }

  /** Removes from the inbox every admitted item below `watermark` (all done). */
  removeBelow(watermark: number): void {
    const a = this.#admitted;
    let h = this.#head;
    while (h < a.length && a[h]! < watermark) this.#run.inboxRemove(a[h++]!);
    if (h > 4096 && h * 2 > a.length) {
      a.splice(0, h);
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
