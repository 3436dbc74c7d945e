import type { SerializedError } from "./SerializedError.js";

/**
 * The messages between a pool and its workers (threads and processes alike). Keys are short:
 * they cross the boundary once per batch, and for child processes they are encoded each time.
 */

/**
 * Kinds of stage a colocated chain is made of. `mapBatch`: the function takes an array (a batch
 * the pipeline made) and returns one result per element, in order; the results go on one by one.
 */
export type ChainStepKind = "map" | "filter" | "flatMap" | "tap" | "mapBatch";

/** True when a chain of these steps may put out other than one value per item (a reply carries an array per item). */
export function chainEmitsMany(steps: readonly { readonly kind: ChainStepKind }[]): boolean {
  return steps.some((s) => s.kind === "filter" || s.kind === "flatMap" || s.kind === "mapBatch");
}

/** One stage of a colocated chain: what it does and which export of the module it calls. */
export interface ChainStep {
  readonly kind: ChainStepKind;
  readonly exportName: string;
  /** The stage's name (its functions see it as `ctx.stage`); the chain's when absent. */
  readonly stage?: string;
}

/**
 * An item that failed, in a result: its position in the batch and the error; when the failing
 * function was a later stage of a colocated chain, that stage's name and (when it can cross) the
 * value it was given.
 */
export type FailedItem =
  [k: number, error: SerializedError] | [k: number, error: SerializedError, stage: string, input?: unknown];

/** Message tags. */
export const MSG_CHAIN = 0;
export const MSG_BATCH = 1;
export const MSG_CANCEL = 2;
export const MSG_RESULT = 3;
export const MSG_CANCELLED = 4;
export const MSG_READY = 5;
export const MSG_UNCHAIN = 6;
export const MSG_LOAD_FAILED = 7;
export const MSG_PING = 8;
export const MSG_PONG = 9;
export const MSG_PROGRESS = 10;
export const MSG_START = 11;
export const MSG_CLOSE = 12;
export const MSG_CLOSING = 13;
export const MSG_OVERRAN = 14;
export const MSG_HELD = 15;

/** Why a worker ends gracefully: idle shutdown, recycled (`maxItemsPerWorker`, `maxMemoryMb`), or its pool closed. */
export type WorkerEnd = "idle" | "recycled" | "closed";

/**
 * Parent → worker, first of all: the pool's `workerData`, which the module's `setup` gets (and
 * every item as `ctx.workerData`). Data only: the code a worker runs is the module it was
 * started with.
 */
export interface StartMessage {
  readonly t: typeof MSG_START;
  readonly d: unknown;
}

/**
 * Parent → worker: end gracefully. The worker starts nothing more, aborts the signals of the
 * items it runs, and once they have left their functions says {@link ClosingMessage}, runs the
 * module's `teardown` and exits on its own.
 */
export interface CloseMessage {
  readonly t: typeof MSG_CLOSE;
  readonly r: WorkerEnd;
}

/** Worker → parent: its items have left their functions; it runs `teardown` and exits. */
export interface ClosingMessage {
  readonly t: typeof MSG_CLOSING;
}

/** Parent → worker: declares a chain (sent before any batch that uses it). */
export interface ChainMessage {
  readonly t: typeof MSG_CHAIN;
  /** Chain id, unique in the pool. */
  readonly id: number;
  /** Stage name, passed to the functions as `ctx.stage`. */
  readonly stage: string;
  readonly steps: readonly ChainStep[];
  /**
   * The stage's `timeoutMs`, enforced in the worker per item from when the item starts there: an
   * asynchronous item's `ctx.signal` aborts and the item fails at once; a synchronous item that
   * ran longer fails when it returns. A synchronous item that never returns is the pool's to stop.
   */
  readonly to: number | undefined;
  /** The pool's `concurrencyPerWorker`: most items of the worker inside the functions at once. */
  readonly p: number;
}

/** Parent → worker: a chain is no longer used (its stage's executor closed); forget it. */
export interface UnchainMessage {
  readonly t: typeof MSG_UNCHAIN;
  readonly id: number;
}

/** Parent → worker: items to run through a chain. */
export interface BatchMessage {
  readonly t: typeof MSG_BATCH;
  /** Batch id, unique in the pool. */
  readonly b: number;
  /** Chain id. */
  readonly c: number;
  /** The items. */
  readonly x: unknown[];
  /** Source index of each item, or the first one's when they are consecutive. */
  readonly i: number[] | number;
  /** Attempt number of each item, or one number for all. */
  readonly a: number[] | number;
  /** `ctx.key` prefix (a durable run): each item's key is it followed by the item's index. */
  readonly k?: string;
  /** The pipeline's source names when it has several (keys then name the item's source: see `ItemKeys`). */
  readonly ks?: readonly string[];
  /** Each item's key, when keys are given item by item (a dead-letter replay). */
  readonly kl?: readonly string[];
}

/** Parent → worker: abort item `k` of batch `b` (its `ctx.signal`) with `r` as the reason. */
export interface CancelMessage {
  readonly t: typeof MSG_CANCEL;
  readonly b: number;
  readonly k: number;
  readonly r: SerializedError;
}

/** Worker → parent: a batch ended. */
export interface ResultMessage {
  readonly t: typeof MSG_RESULT;
  readonly b: number;
  /** One value per item (an array of outputs for chains that emit many); `undefined` where it failed. */
  readonly v: unknown[];
  /** The items that failed: pairs of position in the batch and error, or null when none did. */
  readonly e: FailedItem[] | null;
  /** Positions that ran past the chain's timeout in the worker, or null when none did. */
  readonly o: number[] | null;
  /**
   * Pairs of position in the batch and the last value its function passed to `ctx.retryAfter`
   * (ms), or null when no item of the batch called it (the usual case: no per-item cost). Always
   * present, so the reply keeps one shape on the msgpack wire.
   */
  readonly r: Array<[number, number]> | null;
  /** Mean time per item, in ms, measured in the worker. */
  readonly u: number;
  /** Mean event-loop delay of the worker since its last report, in ms, or -1 if not measured this time. */
  readonly d: number;
  /** Memory in MB (heap for a thread, RSS for a process), or -1 if not measured this time. */
  readonly m: number;
}

/** Worker → parent: a cancelled item has stopped (settled) in the worker. */
export interface CancelledMessage {
  readonly t: typeof MSG_CANCELLED;
  readonly b: number;
  readonly k: number;
}

/** Worker → parent: the module loaded and its `setup` ran; time spent before this is start-up, not work. */
export interface ReadyMessage {
  readonly t: typeof MSG_READY;
}

/**
 * Worker → parent: the module threw while loading, or its `setup` threw (or rejected); the
 * worker runs nothing and waits to be stopped.
 */
export interface LoadFailedMessage {
  readonly t: typeof MSG_LOAD_FAILED;
  /** What the module (or its setup) threw. */
  readonly e: SerializedError;
  /** 1 when `setup` threw, 0 when loading the module did. */
  readonly s: 0 | 1;
}

/** Parent → worker: a heartbeat; the worker's event loop answers it with a {@link PongMessage}. */
export interface PingMessage {
  readonly t: typeof MSG_PING;
  /** Sequence number, echoed. */
  readonly s: number;
}

/** Worker → parent: the answer to a {@link PingMessage}, sent from the worker's own event loop. */
export interface PongMessage {
  readonly t: typeof MSG_PONG;
  readonly s: number;
}

/**
 * Worker → parent, for chains with a timeout only: where the worker's event loop is. `k >= 0`:
 * it enters the function for item `k` of batch `b`; `k = -1` with `b >= 0`: it runs batch `b`'s
 * items without a note per item (fast items); `b = -1`: it runs no item (those started wait
 * asynchronously). Lets the parent time a synchronous item that never returns from its own start.
 */
export interface ProgressMessage {
  readonly t: typeof MSG_PROGRESS;
  readonly b: number;
  readonly k: number;
}

/**
 * Worker → parent, for chains with a timeout whose items the parent times one by one (noted, or
 * read from a thread's item cell): item `k` of batch `b` returned from its synchronous call after
 * its timeout. The parent may have judged it stuck
 * meanwhile and sent what the worker held elsewhere; the worker starts nothing more until the
 * parent answers with a {@link HeldMessage}.
 */
export interface OverranMessage {
  readonly t: typeof MSG_OVERRAN;
  readonly b: number;
  readonly k: number;
}

/**
 * Parent → worker, the answer to an {@link OverranMessage}: the batches the worker still holds
 * (`b`, their ids). It drops every other batch it has not answered: the pool took them away
 * while an item of theirs, or of a batch beside them, was stuck, and their items run elsewhere.
 */
export interface HeldMessage {
  readonly t: typeof MSG_HELD;
  readonly b: readonly number[];
}

/** What a parent sends. */
export type ToWorker =
  | ChainMessage
  | UnchainMessage
  | BatchMessage
  | CancelMessage
  | PingMessage
  | StartMessage
  | CloseMessage
  | HeldMessage;
/** What a worker sends. */
export type FromWorker =
  | ResultMessage
  | CancelledMessage
  | ReadyMessage
  | LoadFailedMessage
  | PongMessage
  | ProgressMessage
  | ClosingMessage
  | OverranMessage;
