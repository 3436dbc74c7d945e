import { WeirError } from "../../errors/WeirError.js";

/**
 * A fleet stage's item was delivered to `weir worker` processes `deliveries` times and each one
 * stopped (died, or stalled past its lease) before answering: a poison item that kills whoever
 * takes it. The worker that claims it next answers with this error instead of running it again;
 * the stage's onError policy then applies (`"dead-letter"` keeps it). Its retry policy applies too:
 * give `retry.retryIf` a test on `code` to keep such items from being sent again.
 */
export class FleetDeliveriesError extends WeirError {
  /** The class name: `error.name`, and what `FleetDeliveriesError.is(e)` matches. */
  static override readonly name: string = "FleetDeliveriesError";
  /** Times the item was handed to a worker. */
  readonly deliveries: number;
  /** The consumer (worker) that held it last. */
  readonly lastConsumer: string;
  /** The stage. */
  readonly stage: string;

  constructor(stage: string, deliveries: number, lastConsumer: string) {
    super(
      "WEIR_FLEET_DELIVERIES",
      `stage "${stage}": the item was delivered to ${deliveries} workers and none answered (the last was ${lastConsumer}): it kills or stalls the worker that runs it`,
    );
    this.deliveries = deliveries;
    this.lastConsumer = lastConsumer;
    this.stage = stage;
  }
}
