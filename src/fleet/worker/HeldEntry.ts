import { serializeError, type SerializedError } from "../../executor/pool/wire/SerializedError.js";
import {
  packBody,
  RESULT_ARRAY,
  RESULT_NONE,
  RESULT_TRUTH,
  type ReplyBody,
  type RequestBody,
} from "../protocol/FleetWire.js";
import type { ItemContext } from "./ItemContext.js";
import type { Service } from "./loadServices.js";

/**
 * One request entry a worker holds, from delivery until it is answered, handed back or dropped:
 * its items, how far they got, and what each one produced. The worker starts items in order
 * (`next`); synchronous ones end as they return, asynchronous ones count in `open`.
 */
export class HeldEntry {
  /** Next item to start. */
  next = 0;
  /** Items started and not settled (asynchronous ones). */
  open = 0;
  /** Answered, handed back or forgotten: nothing more happens to it. */
  finished = false;
  /** The run ended (or the origin cancelled every item): ack it and write no reply. */
  dropped = false;
  /** Another worker holds it now (lease lost): forget it, write nothing. */
  fenced = false;
  /** When its first item started (performance.now()). */
  startedAt = -1;
  readonly values: unknown[];
  errors: Array<[number, SerializedError]> | null = null;
  timedOut: number[] | null = null;
  retryAfter: Array<[number, number]> | null = null;
  /** Contexts of items running asynchronously, by position (to cancel them). */
  readonly running = new Map<number, ItemContext>();
  /** Items settled already (an item cancelled before it started counts too). */
  readonly settled: Uint8Array;
  /** Builds the entry's answer (set when it finished), again without `answeredBefore` if need be. */
  answer: (() => Buffer) | undefined = undefined;
  /** Positions a copy of this entry answered first (the run's done hash said so): left out of the answer. */
  answeredBefore: Set<number> | undefined = undefined;

  constructor(
    readonly stream: string,
    readonly id: string,
    readonly body: RequestBody,
    readonly service: Service,
    /** Deliveries so far, this one included (the entry's own plus those before a split). */
    readonly deliveries: number,
  ) {
    this.values = new Array<unknown>(body.x.length);
    this.settled = new Uint8Array(body.x.length);
  }

  get size(): number {
    return this.body.x.length;
  }

  index(k: number): number {
    const i = this.body.i;
    return typeof i === "number" ? i + k : i[k]!;
  }

  attempt(k: number): number {
    const a = this.body.a;
    return typeof a === "number" ? a : a[k]!;
  }

  /** Records item `k`'s value, shaped for the stage kind. */
  resolve(k: number, value: unknown): void {
    if (this.settled[k] === 1) return;
    this.settled[k] = 1;
    const kind = this.body.k;
    if (kind === RESULT_NONE) return;
    this.values[k] = kind === RESULT_TRUTH ? Boolean(value) : value;
  }

  /** Records item `k`'s error. */
  reject(k: number, error: unknown): void {
    if (this.settled[k] === 1) return;
    this.settled[k] = 1;
    (this.errors ??= []).push([k, serializeError(error)]);
  }

  /** Records that item `k` ran past the timeout. */
  timeout(k: number): void {
    if (this.settled[k] === 1) return;
    this.settled[k] = 1;
    (this.timedOut ??= []).push(k);
  }

  /** Notes the Retry-After an item reported. */
  noteRetryAfter(k: number, ctx: ItemContext): void {
    if (ctx.retryAfterMs !== undefined) (this.retryAfter ??= []).push([k, ctx.retryAfterMs]);
  }

  /**
   * Cancels the items at these batch positions: a running one's `ctx.signal` aborts with
   * `reason`; one not started yet will not run.
   */
  cancel(positions: readonly number[], reason: unknown): void {
    for (const position of positions) {
      const k = position - this.body.f;
      if (k < 0 || k >= this.size) continue;
      const ctx = this.running.get(k);
      if (ctx !== undefined) ctx.cancel(reason);
      else if (k >= this.next) this.settled[k] = 1;
    }
  }

  /** True when every item was started and has settled. */
  get complete(): boolean {
    return this.next >= this.size && this.open === 0;
  }

  /**
   * The reply, packed. A value msgpack cannot carry (a function, a class with a cycle) fails its
   * item with the encoder's error instead; the other items' values go as they are.
   */
  reply(worker: string, elapsedMs: number): Buffer {
    this.#leaveOut();
    const body = (): ReplyBody => ({
      b: this.body.b,
      f: this.body.f,
      v: this.values,
      e: this.errors,
      o: this.timedOut,
      r: this.retryAfter,
      d: null,
      u: this.size === 0 ? 0 : elapsedMs / this.size,
      w: worker,
      ...this.#identity(),
    });
    try {
      return packBody(body());
    } catch {
      for (let k = 0; k < this.values.length; k++) {
        try {
          packBody(this.values[k]);
        } catch (error) {
          this.values[k] = undefined;
          (this.errors ??= []).push([
            k,
            serializeError(
              new TypeError(`the result of item ${this.index(k)} cannot travel back as msgpack`, { cause: error }),
            ),
          ]);
        }
      }
      return packBody(body());
    }
  }

  /** The reply that fails every item with "delivered too many times" (the items are not run). */
  deliveriesReply(worker: string, previous: string): Buffer {
    this.#leaveOut();
    const body: ReplyBody = {
      b: this.body.b,
      f: this.body.f,
      v: new Array<unknown>(this.size),
      e: null,
      o: null,
      r: null,
      d: [this.deliveries - 1, previous === "" ? "unknown" : previous],
      u: 0,
      w: worker,
      ...this.#identity(),
    };
    return packBody(body);
  }

  /**
   * The mask `completeEntries` takes: one '1' per item this answer carries, '0' for one
   * answered before; empty when it carries them all.
   */
  mask(): string {
    const before = this.answeredBefore;
    if (before === undefined) return "";
    let mask = "";
    for (let k = 0; k < this.size; k++) mask += before.has(k) ? "0" : "1";
    return mask;
  }

  /** Drops what the answer must not carry: the values and outcomes of items answered before. */
  #leaveOut(): void {
    const before = this.answeredBefore;
    if (before === undefined) return;
    for (const k of before) this.values[k] = undefined;
    if (this.errors !== null) this.errors = this.errors.filter(([k]) => !before.has(k));
    if (this.timedOut !== null) this.timedOut = this.timedOut.filter((k) => !before.has(k));
    if (this.retryAfter !== null) this.retryAfter = this.retryAfter.filter(([k]) => !before.has(k));
  }

  /** The deliveries (when more than one), positions left out, and a durable run's item identity, for a reply. */
  #identity(): { n?: number; s?: readonly number[]; i?: number | readonly number[]; h?: readonly number[] } {
    const h = this.body.h;
    const before = this.answeredBefore;
    const n = {
      ...(this.deliveries > 1 ? { n: this.deliveries } : {}),
      ...(before === undefined ? {} : { s: [...before].sort((a, b) => a - b) }),
    };
    return h === undefined ? n : { ...n, i: this.body.i, h };
  }

  /** The request body again, carrying the deliveries so far (for an entry put back unrun). */
  carrying(): Buffer {
    return packBody({ ...this.body, p: this.deliveries - 1 });
  }

  /** One entry per item (a batch taken over from a worker that died), each carrying the lost deliveries. */
  split(): Buffer[] {
    const out: Buffer[] = [];
    for (let k = 0; k < this.size; k++) {
      // each single keeps the batch id, with its position: the origin settles that item of the batch
      const one: RequestBody = {
        ...this.body,
        f: this.body.f + k,
        x: [this.body.x[k]],
        i: this.index(k),
        a: this.attempt(k),
        p: this.deliveries - 1,
      };
      const h = this.body.h;
      if (h !== undefined) (one as { h?: readonly number[] }).h = [h[k]!];
      const kl = this.body.KL;
      if (kl !== undefined) (one as { KL?: readonly string[] }).KL = [kl[k]!];
      out.push(packBody(one));
    }
    return out;
  }
}

/** A `kind` that wants an array back. */
export function wantsArray(body: RequestBody): boolean {
  return body.k === RESULT_ARRAY;
}
