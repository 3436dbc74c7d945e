import { Packr } from "msgpackr";
import { packrOptions } from "../../executor/pool/wire/packrOptions.js";
import type { SerializedError } from "../../executor/pool/wire/SerializedError.js";

/**
 * The bodies of stream entries, msgpack-encoded into one field `m`. Each entry is packed with a
 * fresh encoder (object shapes are defined inline, once per entry), so any worker can decode any
 * entry alone, in any order. Keys are short: they are written once per entry.
 */

/** Origin → worker: a batch of items for one export (one request stream entry). */
export interface RequestBody {
  /** The run (the origin's executor) the batch belongs to. */
  readonly r: string;
  /** Batch id, unique within the run: what the reply names. */
  readonly b: number;
  /**
   * Position in the batch of this entry's first item: 0, or k for an entry split off a batch
   * (its one item is item k of batch `b`).
   */
  readonly f: number;
  /** The stage's name (`ctx.stage` in the worker). */
  readonly s: string;
  /** The items. */
  readonly x: readonly unknown[];
  /** Source indexes: the first of consecutive ones, or one per item. */
  readonly i: number | readonly number[];
  /** Attempts: 1 for all, or one per item. */
  readonly a: number | readonly number[];
  /** The stage's `timeoutMs`, enforced per item from when it starts in the worker; null for none. */
  readonly t: number | null;
  /**
   * Deliveries already spent on these items before this entry existed: a batch delivered to a
   * worker that died is split into one entry per item, each carrying the batch's lost deliveries,
   * so the count toward `--max-deliveries` goes on.
   */
  readonly p: number;
  /**
   * What to send back per item: 0 the value (map), 1 an array (flatMap: an iterable is
   * collected), 2 nothing (tap, sink), 3 true or false (filter).
   */
  readonly k: number;
  /**
   * Durable runs only: the item key prefix (`<runId>/`; `ctx.key` is it followed by the index)
   * and one content digest per item. A worker echoes `i` and `h` in its reply, so that an origin
   * resumed after a kill can match the answers written while it was down to its items.
   */
  readonly K?: string;
  readonly h?: readonly number[];
  /**
   * Durable runs, when the entry holds flatMap children (their `i` is their source index plus a
   * fraction): each item's key, which `ctx.key` is then (and `ctx.index` the source index).
   */
  readonly KL?: readonly string[];
}

/** Worker → origin: the outcome of one request entry (on the run's reply stream). */
export interface ReplyBody {
  /** The batch. */
  readonly b: number;
  /** Position in the batch of the first item answered (the request's `f`); positions below are `f + k`. */
  readonly f: number;
  /** Values by position in the entry (undefined where an item failed). */
  readonly v: readonly unknown[];
  /** Failed items: position and error. */
  readonly e: ReadonlyArray<readonly [k: number, error: SerializedError]> | null;
  /** Positions of items that ran past the timeout. */
  readonly o: readonly number[] | null;
  /** `ctx.retryAfter(ms)` calls: position and the last value. */
  readonly r: ReadonlyArray<readonly [k: number, ms: number]> | null;
  /** Set when the items were not run: delivered this many times, last held by this worker. */
  readonly d: readonly [deliveries: number, lastConsumer: string] | null;
  /** Mean ms of work per item in the worker (sizes the next batches). */
  readonly u: number;
  /** The worker (consumer) that answered. */
  readonly w: string;
  /**
   * Deliveries of the entry (its own, and those before a split), when more than one: the items
   * were handed to another worker before (it died or stalled past its lease).
   */
  readonly n?: number;
  /** Durable runs: the request's indexes and digests, echoed (see {@link RequestBody.h}). */
  readonly i?: number | readonly number[];
  readonly h?: readonly number[];
  /**
   * Positions (in the entry) this reply does not answer: a copy of the entry answered them
   * before (the run's done hash says so), so their values are left out.
   */
  readonly s?: readonly number[];
}

/** Origin → workers, on the control channel. */
export type ControlMessage =
  /** The run ended: drop its entries, abort its items. */
  | readonly [kind: typeof CONTROL_RUN_ENDED, run: string]
  /** These items were cancelled (timeout on the origin's clock, run stopping): abort them. */
  | readonly [kind: typeof CONTROL_CANCEL, run: string, batches: ReadonlyArray<readonly [b: number, ks: number[]]>];

/** What a worker sends back per item, by stage kind (the request's `k`). */
export const RESULT_VALUE = 0;
export const RESULT_ARRAY = 1;
export const RESULT_NONE = 2;
export const RESULT_TRUTH = 3;

export const CONTROL_RUN_ENDED = 0;
export const CONTROL_CANCEL = 1;

/** Encodes one self-contained body (a fresh encoder: shapes defined inline). */
export function packBody(body: unknown): Buffer {
  return new Packr(packrOptions()).pack(body);
}

/** Decodes one body written by {@link packBody}. */
export function unpackBody<T>(data: Buffer | Uint8Array): T {
  return new Packr(packrOptions()).unpack(data) as T;
}
