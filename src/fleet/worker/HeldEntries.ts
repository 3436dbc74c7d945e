import type { HeldEntry } from "./HeldEntry.js";

/**
 * The entries a worker holds, by stream and id (for leases and hand-backs) and by run (for
 * cancellations). `released` runs after every removal: the worker may read more, or has emptied.
 */
export class HeldEntries {
  readonly #byStream = new Map<string, Map<string, HeldEntry>>();
  readonly #byRun = new Map<string, Set<HeldEntry>>();
  readonly #released: () => void;
  #count = 0;

  constructor(released: () => void) {
    this.#released = released;
  }

  /** Entries held. */
  get size(): number {
    return this.#count;
  }

  add(entry: HeldEntry): void {
    let byId = this.#byStream.get(entry.stream);
    if (byId === undefined) this.#byStream.set(entry.stream, (byId = new Map()));
    byId.set(entry.id, entry);
    let run = this.#byRun.get(entry.body.r);
    if (run === undefined) this.#byRun.set(entry.body.r, (run = new Set()));
    run.add(entry);
    this.#count++;
  }

  /** Lets go of `entry` (nothing when it is not held). */
  delete(entry: HeldEntry): void {
    const byId = this.#byStream.get(entry.stream);
    if (byId?.get(entry.id) !== entry) return;
    byId.delete(entry.id);
    const run = this.#byRun.get(entry.body.r);
    run?.delete(entry);
    if (run?.size === 0) this.#byRun.delete(entry.body.r);
    this.#count--;
    this.#released();
  }

  /** The entry of `stream` with `id`, if held. */
  get(stream: string, id: string): HeldEntry | undefined {
    return this.#byStream.get(stream)?.get(id);
  }

  /** Held entries, stream by stream. */
  streams(): IterableIterator<[string, Map<string, HeldEntry>]> {
    return this.#byStream.entries();
  }

  /** The runs with entries held. */
  runs(): string[] {
    return [...this.#byRun.keys()];
  }

  /** Held entries of `run` (a copy). */
  ofRun(run: string): HeldEntry[] {
    return [...(this.#byRun.get(run) ?? [])];
  }

  /** True when an entry other than `entry` has not finished. */
  othersUnfinished(entry: HeldEntry): boolean {
    for (const byId of this.#byStream.values())
      for (const e of byId.values()) if (e !== entry && !e.finished) return true;
    return false;
  }
}
