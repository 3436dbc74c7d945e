import type { Registry } from "prom-client";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, optional, plainObject } from "../options/validate.js";
import type { MetricsSink } from "../stats/MetricsSink.js";
import { checkBuckets } from "./checkBuckets.js";
import { defaultBuckets } from "./families.js";
import { PromSink } from "./PromSink.js";
import { promClient } from "./promClient.js";
import { optionKeys } from "../options/optionKeys.js";

/** Options of {@link metrics}. */
export interface MetricsOptions {
  /**
   * Bounds of the duration histograms, in seconds, ascending (one set per registry: the first
   * `metrics()` call on a registry sets them).
   * @default 0.5 ms to 300 s (17 bounds)
   */
  readonly buckets?: readonly number[];
}

/** The sink of each registry: weir's metrics are registered once per registry. */
const sinks = new WeakMap<Registry, PromSink>();

/**
 * A metrics sink publishing to a prom-client registry: pass it as `run({ metrics })` (pipelines
 * and workflows). Without a registry, prom-client's default one (`register`, what most apps
 * serve). One sink per registry: any number of runs share it, and runs of one pipeline add up
 * under its `pipeline` label. Counters are read when the registry is scraped, from the counters
 * the engine keeps anyway: a run pays nothing per item for them.
 *
 * @throws InvalidOptionError when `registry` is not a prom-client Registry, or `buckets` is not
 *   an ascending list of positive numbers (or differs from the registry's first call)
 * @throws OptionalDependencyMissingError (`WEIR_OPTIONAL_DEPENDENCY_MISSING`) when prom-client is
 *   not installed
 * @example
 * ```ts
 * import { Registry } from "prom-client";
 * import { metrics } from "weir/metrics";
 * const registry = new Registry();
 * await p.run({ metrics: metrics(registry) });
 * console.log(await registry.metrics());
 * ```
 */
export function metrics(registry?: Registry, options: MetricsOptions = {}): MetricsSink {
  const where = "metrics()";
  const prom = promClient(where);
  registry ??= prom.register;
  if (!(registry instanceof prom.Registry))
    throw new InvalidOptionError("registry", "a prom-client Registry", registry, where);
  const o = plainObject(options, "options", where);
  knownKeys(o, optionKeys<MetricsOptions>()("buckets"), "", where);
  const buckets = optional(o.buckets, defaultBuckets, (v) => checkBuckets(v, where));
  const existing = sinks.get(registry);
  if (existing !== undefined) {
    if (o.buckets !== undefined && existing.buckets.join() !== buckets.join())
      throw new InvalidOptionError(
        "buckets",
        `the bounds this registry was first given (${existing.buckets.join(", ")})`,
        buckets,
        where,
      );
    return existing;
  }
  const sink = new PromSink(registry, buckets);
  sinks.set(registry, sink);
  return sink;
}
