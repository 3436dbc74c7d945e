import type { Redis } from "ioredis";
import { WORKER_GROUP, type FleetKeys } from "../protocol/FleetKeys.js";
import { completeEntries, type Completion } from "../protocol/fleetScripts.js";
import type { HeldEntry } from "./HeldEntry.js";

/**
 * Writes a worker's answers: entries finished in the same turn are written together, one fenced
 * script call per stream (ack, delete and reply for all of them), whatever the number of items.
 * Entries the worker no longer held (another took them over) are counted and logged; every entry
 * is handed to `written` once its call returned (or failed: Redis gone for good, the entry stays
 * pending and another worker takes it after the lease).
 */
export class AnswerWriter {
  readonly #client: Redis;
  readonly #keys: FleetKeys;
  readonly #me: string;
  readonly #log: (line: string) => void;
  readonly #written: (entry: HeldEntry) => void;
  readonly #fenced: (count: number) => void;
  #answers = new Map<string, Array<{ entry: HeldEntry; payload: Buffer }>>();
  #scheduled = false;
  #writing = 0;

  constructor(
    client: Redis,
    keys: FleetKeys,
    me: string,
    log: (line: string) => void,
    written: (entry: HeldEntry) => void,
    fenced: (count: number) => void,
  ) {
    this.#client = client;
    this.#keys = keys;
    this.#me = me;
    this.#log = log;
    this.#written = written;
    this.#fenced = fenced;
  }

  /** Queues `entry`'s answer (an empty payload acks and drops the entry without a reply). */
  add(entry: HeldEntry, payload: Buffer): void {
    let list = this.#answers.get(entry.stream);
    if (list === undefined) this.#answers.set(entry.stream, (list = []));
    list.push({ entry, payload });
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => void this.#write());
    }
  }

  /** True while answers are queued or being written. */
  get busy(): boolean {
    return this.#scheduled || this.#writing > 0;
  }

  async #write(): Promise<void> {
    this.#scheduled = false;
    const all = this.#answers;
    this.#answers = new Map();
    this.#writing++;
    try {
      await Promise.all([...all].map(([stream, answers]) => this.#writeStream(stream, answers)));
    } finally {
      this.#writing--;
    }
  }

  async #writeStream(stream: string, answers: Array<{ entry: HeldEntry; payload: Buffer }>): Promise<void> {
    const runs: Array<[string, string]> = [];
    const runIndex = new Map<string, number>();
    const completions: Completion[] = answers.map(({ entry, payload }) => {
      const run = entry.body.r;
      let i = runIndex.get(run);
      if (i === undefined) {
        i = runs.length;
        runIndex.set(run, i);
        runs.push([this.#keys.replies(run), this.#keys.run(run)]);
      }
      return { id: entry.id, run: i, payload };
    });
    try {
      const fenced = await completeEntries(this.#client, stream, WORKER_GROUP, this.#me, runs, completions);
      if (fenced.length > 0) {
        this.#fenced(fenced.length);
        this.#log(
          `weir worker ${this.#me}: ${fenced.length} entr${fenced.length === 1 ? "y was" : "ies were"} taken over by another worker (lease expired): results discarded`,
        );
      }
    } catch (error) {
      this.#log(`weir worker ${this.#me}: could not answer ${answers.length} entries: ${String(error)}`);
    }
    for (const { entry } of answers) this.#written(entry);
  }
}
