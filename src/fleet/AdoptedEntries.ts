import { TimeoutError } from "../errors/TimeoutError.js";
import { rebuildError } from "../executor/pool/wire/SerializedError.js";
import { FleetDeliveriesError } from "./errors/FleetDeliveriesError.js";
import type { FleetAttempt } from "./FleetBatch.js";
import type { ReplyBody, RequestBody } from "./protocol/FleetWire.js";

/** How an adopted item ended in a worker: its value, or the error to settle its attempt with. */
export type AdoptedOutcome =
  | { readonly ok: true; readonly value: unknown; readonly retryAfterMs: number | undefined }
  | { readonly ok: false; readonly error: unknown; readonly retryAfterMs: number | undefined };

/** One item an earlier incarnation of the run left in Redis: an entry still pending, or an answer. */
interface Slot {
  readonly key: string;
  readonly batch: number;
  readonly k: number;
  attempt: FleetAttempt | undefined;
  outcome: AdoptedOutcome | undefined;
}

/**
 * What a durable run's fleet stage finds in Redis when its origin comes back after a kill: the
 * request entries its earlier incarnation sent that no worker has answered yet (queued, or held
 * by a worker), and the answers written to the run's reply stream while no one read them. Each
 * item is known by its key, the source index and a digest of its content (the request and the
 * reply carry both), so an attempt of the resumed run takes the answer of the same item, or waits
 * for the entry still in Redis, instead of being sent again. Nothing is matched by batch id: the
 * resumed run numbers its batches above every id the earlier one used.
 *
 * Bounded by what the earlier incarnation had in flight (its `maxInFlight`).
 */
export class AdoptedEntries {
  readonly #stage: string;
  readonly #timeoutMs: number | undefined;
  /** Slots by item key, in the order found (answers first, then entries in stream order). */
  readonly #byKey = new Map<string, Slot[]>();
  /** Slots still waiting for an answer, by batch id and position. */
  readonly #pending = new Map<number, Map<number, Slot>>();
  /** Request entries found, by batch id (deleted at the end of the run if still unanswered). */
  readonly #entries = new Map<number, string[]>();
  readonly #attached = new Map<FleetAttempt, Slot>();
  /** Items of the resumed run that took an answer, or waited for an entry, from Redis. */
  taken = 0;
  #slots = 0;

  constructor(stage: string, timeoutMs: number | undefined) {
    this.#stage = stage;
    this.#timeoutMs = timeoutMs;
  }

  /** Items found and not taken yet. */
  get size(): number {
    return this.#slots;
  }

  /** The request entry `id` of the earlier incarnation: its items wait for their answers. */
  adoptEntry(id: string, body: RequestBody): void {
    const h = body.h;
    if (h === undefined) return;
    let entries = this.#entries.get(body.b);
    if (entries === undefined) this.#entries.set(body.b, (entries = []));
    entries.push(id);
    let positions = this.#pending.get(body.b);
    if (positions === undefined) this.#pending.set(body.b, (positions = new Map()));
    for (let j = 0; j < body.x.length; j++) {
      const slot = this.#add(keyOf(body.i, h, j), body.b, body.f + j);
      positions.set(body.f + j, slot);
    }
  }

  /**
   * A reply of the earlier incarnation (a batch id it used): each item's outcome goes to the
   * attempt waiting for it, or is kept for the attempt that will ask. False for a reply it
   * cannot place (no identity: a worker older than this protocol); the caller discards it.
   */
  reply(reply: ReplyBody, settle: (attempt: FleetAttempt, outcome: AdoptedOutcome) => void): boolean {
    const positions = this.#pending.get(reply.b);
    const h = reply.h;
    if (positions === undefined && h === undefined) return false;
    for (let j = 0; j < reply.v.length; j++) {
      if (reply.s?.includes(j) === true) continue; // answered by a copy before
      const k = reply.f + j;
      let slot = positions?.get(k);
      if (slot !== undefined) positions!.delete(k);
      else if (h !== undefined && reply.i !== undefined) slot = this.#add(keyOf(reply.i, h, j), reply.b, k);
      if (slot === undefined || slot.outcome !== undefined) continue;
      const outcome = this.#outcome(reply, j);
      const attempt = slot.attempt;
      if (attempt === undefined) {
        slot.outcome = outcome;
        continue;
      }
      this.#remove(slot);
      settle(attempt, outcome);
    }
    if (positions !== undefined && positions.size === 0) {
      this.#pending.delete(reply.b);
      this.#entries.delete(reply.b);
    }
    return true;
  }

  /**
   * Matches a resumed attempt (its `h` set) to an item found: its outcome when the answer is
   * here (the slot is used up), `"waiting"` when its entry is still in Redis (the attempt is
   * attached to it), undefined when Redis has nothing of it (send it).
   */
  take(attempt: FleetAttempt): AdoptedOutcome | "waiting" | undefined {
    const slots = this.#byKey.get(`${attempt.index}:${attempt.h}`);
    if (slots === undefined) return undefined;
    const slot = slots.find((s) => s.outcome !== undefined) ?? slots.find((s) => s.attempt === undefined);
    if (slot === undefined) return undefined;
    this.taken++;
    if (slot.outcome !== undefined) {
      this.#remove(slot);
      return slot.outcome;
    }
    slot.attempt = attempt;
    attempt.adopted = true;
    this.#attached.set(attempt, slot);
    return "waiting";
  }

  /** The attempt no longer waits (it was aborted): a later attempt of the item may take its slot. */
  release(attempt: FleetAttempt): void {
    const slot = this.#attached.get(attempt);
    attempt.adopted = false;
    if (slot === undefined) return;
    this.#attached.delete(attempt);
    slot.attempt = undefined;
  }

  /** Attempts waiting for an entry of the earlier incarnation. */
  attached(): FleetAttempt[] {
    return [...this.#attached.keys()];
  }

  /** Batch ids of entries found and not answered yet, with their entry ids. */
  entryIds(): string[] {
    return [...this.#entries.values()].flat();
  }

  /** Forgets everything (Redis lost it: it restarted empty); returns the attempts that waited. */
  clear(): FleetAttempt[] {
    const waiting = this.attached();
    for (const a of waiting) a.adopted = false;
    this.#byKey.clear();
    this.#pending.clear();
    this.#entries.clear();
    this.#attached.clear();
    this.#slots = 0;
    return waiting;
  }

  #add(key: string, batch: number, k: number): Slot {
    const slot: Slot = { key, batch, k, attempt: undefined, outcome: undefined };
    let slots = this.#byKey.get(key);
    if (slots === undefined) this.#byKey.set(key, (slots = []));
    slots.push(slot);
    this.#slots++;
    return slot;
  }

  #remove(slot: Slot): void {
    const slots = this.#byKey.get(slot.key);
    const at = slots?.indexOf(slot) ?? -1;
    if (at < 0) return;
    this.#slots--;
    if (slots!.length === 1) this.#byKey.delete(slot.key);
    else slots!.splice(at, 1);
    if (slot.attempt !== undefined) this.#attached.delete(slot.attempt);
  }

  /** Item `j` of a reply as an outcome (the same reading as the executor's for its own batches). */
  #outcome(reply: ReplyBody, j: number): AdoptedOutcome {
    const retryAfterMs = reply.r?.find(([k]) => k === j)?.[1];
    if (reply.d !== null)
      return { ok: false, error: new FleetDeliveriesError(this.#stage, reply.d[0], reply.d[1]), retryAfterMs };
    if (reply.o?.includes(j) === true)
      return {
        ok: false,
        error: new TimeoutError(`stage "${this.#stage}" item ${indexAt(reply.i, j)}`, this.#timeoutMs ?? 0),
        retryAfterMs,
      };
    const failed = reply.e?.find(([k]) => k === j);
    if (failed !== undefined) return { ok: false, error: rebuildError(failed[1]), retryAfterMs };
    return { ok: true, value: reply.v[j], retryAfterMs };
  }
}

function indexAt(i: number | readonly number[] | undefined, j: number): number {
  if (i === undefined) return -1;
  return typeof i === "number" ? i + j : (i[j] ?? -1);
}

/** An item's key: its source index and content digest. */
function keyOf(i: number | readonly number[], h: readonly number[], j: number): string {
  return `${indexAt(i, j)}:${h[j] ?? 0}`;
}
