import { WeirError } from "./WeirError.js";

/**
 * A failure injected by `faults({ fail })` or `poolFaults({ fail })` from `weir/testing`: the
 * stage function was not called for this item. Only tests see it.
 */
export class InjectedFaultError extends WeirError {
  /** The class name: `error.name`, and what `InjectedFaultError.is(e)` matches. */
  static override readonly name: string = "InjectedFaultError";
  /** Source index of the item the fault was injected on. */
  readonly index: number;
  /** The attempt it failed. */
  readonly attempt: number;

  constructor(index: number, attempt: number) {
    super("WEIR_INJECTED_FAULT", `injected failure on item ${index} (attempt ${attempt})`);
    this.index = index;
    this.attempt = attempt;
  }
}
