import type { Redis } from "ioredis";
import { WORKER_GROUP, type FleetKeys } from "../protocol/FleetKeys.js";
import { completeEntries, type Completion } from "../protocol/fleetScripts.js";
import type { HeldEntry } from "./HeldEntry.js";

/** What an {@link AnswerWriter} reports back to its worker. */
export interface AnswerEvents {
  /** The entry's answer was written, dropped or refused: the worker lets go of it. */
  written(entry: HeldEntry): void;
  /** Entries another worker had taken over: their answers were dropped. */
  fenced(count: number): void;
  /** Entries whose items had all been answered before (a copy answered first): no reply written. */
  answeredBefore(count: number): void;
  /**
   * Waited for before the first answer is written (a test hook: `weir worker` sets it from
   * `WEIR_TEST_HOLD_FIRST_ANSWER`, so a drill can stop or kill a worker at that exact point).
   */
  beforeFirstAnswer?: () => Promise<void>;
}

/**
 * Writes a worker's answers: entries finished in the same turn are written together, one fenced
 * script call per stream (ack, delete, reply and done record for all of them), whatever the
 * number of items. Entries the worker no longer held (another took them over) are counted and
 * logged; so are those a copy of which was answered first (the run's done hash already has their
 * items: no second answer is written). An entry answered before only in part is answered again
 * without those items. Every entry is handed to `written` once its call returned (or failed:
 * Redis gone for good, the entry stays pending and another worker takes it after the lease).
 */
export class AnswerWriter {
  readonly #client: Redis;
  readonly #keys: FleetKeys;
  readonly #me: string;
  readonly #log: (line: string) => void;
  readonly #events: AnswerEvents;
  #hold: (() => Promise<void>) | undefined;
  #answers = new Map<string, Array<{ entry: HeldEntry; payload: Buffer }>>();
  #scheduled = false;
  #writing = 0;

  constructor(client: Redis, keys: FleetKeys, me: string, log: (line: string) => void, events: AnswerEvents) {
    this.#client = client;
    this.#keys = keys;
    this.#me = me;
    this.#log = log;
    this.#events = events;
    this.#hold = events.beforeFirstAnswer;
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
    this.#writing++;
    try {
      const hold = this.#hold;
      if (hold !== undefined && [...this.#answers.values()].some((l) => l.some((a) => a.payload.length > 0))) {
        this.#hold = undefined;
        await hold();
      }
      this.#scheduled = false;
      const all = this.#answers;
      this.#answers = new Map();
      await Promise.all([...all].map(([stream, answers]) => this.#writeStream(stream, answers)));
    } finally {
      this.#writing--;
    }
  }

  async #writeStream(stream: string, answers: Array<{ entry: HeldEntry; payload: Buffer }>): Promise<void> {
    const runs: Array<[string, string, string]> = [];
    const runIndex = new Map<string, number>();
    const completions: Completion[] = answers.map(({ entry, payload }) => {
      const run = entry.body.r;
      let i = runIndex.get(run);
      if (i === undefined) {
        i = runs.length;
        runIndex.set(run, i);
        runs.push([this.#keys.replies(run), this.#keys.run(run), this.#keys.done(run)]);
      }
      const answering = payload.length > 0;
      return {
        id: entry.id,
        run: i,
        batch: entry.body.b,
        first: entry.body.f,
        size: answering ? entry.size : 0,
        mask: answering ? entry.mask() : "",
        payload,
      };
    });
    const again: HeldEntry[] = [];
    try {
      const { fenced, answeredBefore } = await completeEntries(
        this.#client,
        stream,
        WORKER_GROUP,
        this.#me,
        runs,
        completions,
      );
      if (fenced.length > 0) {
        this.#events.fenced(fenced.length);
        this.#log(
          `weir worker ${this.#me}: ${fenced.length} entr${fenced.length === 1 ? "y was" : "ies were"} taken over by another worker (lease expired): results discarded`,
        );
      }
      let whole = 0;
      for (const { id, positions } of answeredBefore) {
        if (positions === "all") {
          whole++;
          continue;
        }
        const entry = answers.find((a) => a.entry.id === id)?.entry;
        if (entry?.answer === undefined) continue;
        const before = (entry.answeredBefore ??= new Set());
        for (const k of positions) before.add(k);
        again.push(entry);
      }
      if (whole > 0) {
        this.#events.answeredBefore(whole);
        this.#log(
          `weir worker ${this.#me}: ${whole} entr${whole === 1 ? "y was" : "ies were"} answered before (a copy answered first): no second answer`,
        );
      }
    } catch (error) {
      this.#log(`weir worker ${this.#me}: could not answer ${answers.length} entries: ${String(error)}`);
    }
    // answered before in part: answered again, without those items
    for (const entry of again) this.add(entry, entry.answer!());
    for (const { entry } of answers) if (!again.includes(entry)) this.#events.written(entry);
  }
}
