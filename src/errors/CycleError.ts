import { WeirError } from "./WeirError.js";

/**
 * The graph has a cycle. Thrown when the pipeline or workflow is defined; names the edge that
 * closed the cycle and the nodes on it.
 */
export class CycleError extends WeirError {
  /** The class name: `error.name`, and what `CycleError.is(e)` matches. */
  static override readonly name: string = "CycleError";
  /** The nodes on the cycle, in order, first repeated at the end. */
  readonly cycle: readonly string[];

  constructor(cycle: readonly string[], what = "edge") {
    const from = cycle[cycle.length - 2] ?? "?";
    const to = cycle[cycle.length - 1] ?? "?";
    super("WEIR_CYCLE", `cycle: ${what} "${from}" -> "${to}" closes ${cycle.map((n) => `"${n}"`).join(" -> ")}`);
    this.cycle = cycle;
  }
}
