import { describeValue } from "./describeValue.js";
import { WeirError } from "./WeirError.js";

/** Marks what came back as already described (a worker's report, rebuilt in the parent). */
const DESCRIBED: unique symbol = Symbol("weir.batchResult.described");

/**
 * A `mapBatch` function returned something other than an array with one result per item of the
 * batch it was given (in the same order). The batch fails with it: the stage's retry and
 * `onError` apply to the batch, as to any error its function throws. A `worker()` or `child()`
 * function's is found in its worker and rebuilt as this class in the parent.
 *
 * @example
 * ```ts
 * .mapBatch(async (rows) => (await db.insert(rows)).ids, { size: 500 }) // ids.length must be rows.length
 * ```
 */
export class BatchResultError extends WeirError {
  /** The class name: `error.name`, and what `BatchResultError.is(e)` matches. */
  static override readonly name: string = "BatchResultError";
  /** The stage whose function returned it. */
  readonly stage: string;
  /** Items in the batch. */
  readonly expected: number;
  /** What came back: an array's length, or a description of what it was. */
  readonly received: number | string;

  constructor(stage: string, expected: number, received: unknown) {
    const got =
      typeof received === "object" && received !== null && DESCRIBED in received
        ? (received as { readonly [DESCRIBED]: number | string })[DESCRIBED]
        : Array.isArray(received)
          ? received.length
          : describeValue(received);
    super(
      "WEIR_BATCH_RESULT",
      `stage "${stage}": mapBatch's function must return an array of ${expected} results (one per item, in order), ` +
        `got ${typeof got === "number" ? `an array of ${got}` : got}`,
    );
    this.stage = stage;
    this.expected = expected;
    this.received = got;
  }

  /**
   * The error a worker reported (its `stage`, `expected` and `received` fields), rebuilt in the
   * parent; `received` is what the worker's error said came back.
   */
  static fromReport(stage: string, expected: number, received: number | string): BatchResultError {
    return new BatchResultError(stage, expected, { [DESCRIBED]: received });
  }
}
