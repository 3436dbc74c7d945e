import { WeirError } from "./WeirError.js";

/**
 * The running Node cannot load weir's run engines. The built package loads them on the first
 * run, with `require()` of an ES module (so that `import { pipeline } from "weir"` does not
 * compile them): Node 20.19, 22.12 and later can; `--no-experimental-require-module` turns it off.
 * Run a newer Node, or drop that flag.
 */
export class NodeUnsupportedError extends WeirError {
  /** The class name: `error.name`, and what `NodeUnsupportedError.is(e)` matches. */
  static override readonly name: string = "NodeUnsupportedError";
  /** What the running Node lacks. */
  readonly feature: string;

  constructor(feature: string, cause?: unknown) {
    super(
      "WEIR_NODE_UNSUPPORTED",
      `Node ${process.versions.node} cannot ${feature}: weir needs Node 20.19, 22.12 or later, without --no-experimental-require-module`,
      cause === undefined ? undefined : { cause },
    );
    this.feature = feature;
  }
}
