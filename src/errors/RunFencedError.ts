import { WeirError } from "./WeirError.js";

/**
 * A write of a run's handle was refused because another owner claimed the run since (its epoch is
 * higher). The writes of that commit group for this run are dropped, in the same transaction
 * that checked the epoch, and the handle fails: a stale owner never interleaves its writes with
 * the new owner's.
 *
 * @example
 * ```
 * RunFencedError: run "orders-1": fenced off: this handle holds epoch 1, the run is now at epoch 2 (another owner resumed it)
 * ```
 */
export class RunFencedError extends WeirError {
  /** The class name: `error.name`, and what `RunFencedError.is(e)` matches. */
  static override readonly name: string = "RunFencedError";
  /** The run's id. */
  readonly runId: string;
  /** The epoch this handle held. */
  readonly epoch: number;
  /** The run's epoch in the store (undefined when the run was deleted). */
  readonly currentEpoch: number | undefined;

  constructor(runId: string, epoch: number, currentEpoch: number | undefined) {
    const now =
      currentEpoch === undefined
        ? "the run was deleted"
        : `the run is now at epoch ${currentEpoch} (another owner resumed it)`;
    super("WEIR_RUN_FENCED", `run "${runId}": fenced off: this handle holds epoch ${epoch}, ${now}`);
    this.runId = runId;
    this.epoch = epoch;
    this.currentEpoch = currentEpoch;
  }
}
