import { WeirError } from "./WeirError.js";

/**
 * An optional peer dependency a feature needs is not installed where weir can load it:
 * `prom-client` for `weir run --metrics-port` and `metrics()` from `"weir/metrics"`. The message
 * names the package, the feature and the command that installs it.
 */
export class OptionalDependencyMissingError extends WeirError {
  /** The class name: `error.name`, and what `OptionalDependencyMissingError.is(e)` matches. */
  static override readonly name: string = "OptionalDependencyMissingError";
  /** The package that is missing, e.g. `prom-client`. */
  readonly package: string;
  /** What needed it, e.g. `weir run --metrics-port`. */
  readonly feature: string;

  constructor(pkg: string, feature: string, cause?: unknown) {
    super(
      "WEIR_OPTIONAL_DEPENDENCY_MISSING",
      `${feature} needs ${pkg}, an optional peer dependency that is not installed: npm install ${pkg}`,
      cause === undefined ? undefined : { cause },
    );
    this.package = pkg;
    this.feature = feature;
  }
}
