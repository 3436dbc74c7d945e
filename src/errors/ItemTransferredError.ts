import { WeirError } from "./WeirError.js";

/**
 * An item of a worker-thread stage had to be sent to a worker again, but its ArrayBuffers had
 * already been transferred (moved) into a worker on an earlier send (`transferItems: true`, the
 * default) and are detached in the parent, so there is nothing left to send. It happens to:
 *
 * - an item that shared a batch with an item that crashed its worker (`resend: "crash"`): the
 *   other items of that batch are normally sent again alone (see "Blame" in docs/contexts.md),
 *   but this one's bytes died with the worker; the worker's error is the `cause`;
 * - a retry of an item whose earlier attempt moved its buffers (`resend: "retry"`).
 *
 * Only the item whose buffers are gone fails; its batch-mates go on. Set the pool option
 * `transferItems: false` to copy items instead: they then stay replayable for retries and crash
 * isolation, at the cost of a copy per item.
 *
 * @example
 * ```ts
 * .map(worker(url, "embed", { transferItems: false }), { retry: 3 }) // a retry resends the same bytes
 * ```
 */
export class ItemTransferredError extends WeirError {
  /** The class name: `error.name`, and what `ItemTransferredError.is(e)` matches. */
  static override readonly name: string = "ItemTransferredError";
  /** The stage the item was sent to. */
  readonly stage: string;
  /** Source index of the item. */
  readonly index: number;
  /** Why it had to be sent again: its worker exited holding it (`crash`), or a `retry`. */
  readonly resend: "crash" | "retry";

  constructor(stage: string, index: number, resend: "crash" | "retry", cause?: unknown) {
    const how =
      resend === "crash"
        ? "were moved into a worker thread that exited before answering"
        : "were moved into a worker thread by an earlier attempt";
    super(
      "WEIR_ITEM_TRANSFERRED",
      `stage "${stage}" item ${index}: its ArrayBuffers ${how} and are detached here, so the item cannot be sent ` +
        `again. Set the pool option transferItems: false to copy items instead and keep them replayable (for retries and crash isolation)`,
      { cause },
    );
    this.stage = stage;
    this.index = index;
    this.resend = resend;
  }
}
