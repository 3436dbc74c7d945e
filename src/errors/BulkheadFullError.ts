import { WeirError } from "./WeirError.js";

/**
 * A bulkhead (named resource pool) stayed full for longer than the caller would wait (a stage's
 * `maxWaitMs`). The item then follows the stage's error policy.
 */
export class BulkheadFullError extends WeirError {
  /** The class name: `error.name`, and what `BulkheadFullError.is(e)` matches. */
  static override readonly name: string = "BulkheadFullError";
  /** Name of the bulkhead. */
  readonly bulkhead: string;
  /** Its limit, in weight units. */
  readonly limit: number;
  /** The weight the item asked for. */
  readonly weight: number;

  constructor(bulkhead: string, limit: number, weight: number) {
    super("WEIR_BULKHEAD_FULL", `bulkhead "${bulkhead}" is full (limit ${limit}, item weight ${weight})`);
    this.bulkhead = bulkhead;
    this.limit = limit;
    this.weight = weight;
  }
}
