import type { BatchMessage, ResultMessage } from "../wire/WireMessage.js";
import type { PoolWorker } from "./PoolWorker.js";

/** A batch the pool carries for a client, from dispatch to reply or failure. */
export interface PoolBatch {
  readonly id: number;
  readonly size: number;
  /** The worker holding it, once sent. */
  worker: PoolWorker | undefined;
  /**
   * How long the batch may take once its worker starts on it before the worker counts as stuck
   * (the stage's timeout plus the batch's expected work); undefined: no limit.
   */
  readonly limitMs: number | undefined;
  /** Sent alone, to a worker holding nothing else: whatever happens to the worker is its doing. */
  readonly isolated: boolean;
  /** The stage's timeout, per item from its start in the worker; undefined: none. */
  readonly timeoutMs: number | undefined;
}

/** Why a batch cannot complete, and what the pool knows of who caused it. */
export interface PoolFailure {
  readonly error: unknown;
  /** The batch was the only one its worker held: its own items caused the failure. */
  readonly alone: boolean;
  /** Its worker was stopped because this batch ran past its limit. */
  readonly overdue: boolean;
  /** The pool is closing: nothing will run again. */
  readonly final: boolean;
}

/** A batch ready to send, made by a client. */
export interface OutgoingBatch<B extends PoolBatch> {
  readonly batch: B;
  readonly message: BatchMessage;
  readonly transfer: ArrayBuffer[] | undefined;
}

/** What a pool needs from each executor it serves. */
export interface PoolClient<B extends PoolBatch = PoolBatch> {
  /** True while items wait to be sent and the client is below its share of batches in flight. */
  ready(): boolean;
  /** How many workers the client wants (its stage's concurrency, capped at `maxWorkers`). */
  readonly workersWanted: number;
  /** True while the client has items queued or in flight. */
  active(): boolean;
  /** Makes the next batch of at most `maxItems` items, or undefined when none waits. */
  nextBatch(id: number, maxItems: number): OutgoingBatch<B> | undefined;
  /**
   * A batch of `items` items went out in `bytes` bytes (a child process's frame; -1 where the
   * wire does not say, as for a thread's `postMessage`).
   */
  sent(items: number, bytes: number): void;
  /** A batch came back. */
  completed(batch: B, reply: ResultMessage): void;
  /**
   * A batch cannot complete (its worker died, or it could not be sent): fail its open items, or
   * send them again where the failure may not be theirs.
   */
  failed(batch: B, failure: PoolFailure): void;
  /** True while the client's next batch must go alone to an idle worker. */
  isolating(): boolean;
  /**
   * A batch comes back unfinished through no fault of its items (its worker's module failed to
   * load, or an item beside them got stuck): send its open items again, not as new attempts, to
   * any worker. Item `timedOut` (when not -1) ran past its timeout inside its function: it fails
   * with a `TimeoutError` instead.
   */
  resend(batch: B, timedOut: number): void;
  /**
   * The pool gave up loading the module: fail the open items of `held` (batches that went to
   * workers that failed to load it) and every item waiting to be sent, with a load error whose
   * cause is `cause` (what the module threw while loading, or what its `setup` threw when
   * `inSetup`).
   */
  unloadable(cause: unknown, inSetup: boolean, held: readonly B[]): void;
}
