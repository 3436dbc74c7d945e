import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";
import type { ChainStep } from "../wire/WireMessage.js";
import { PoolExecutor } from "../executor/PoolExecutor.js";
import type { PoolStage } from "./PoolStage.js";

/**
 * Creates the executor that runs a `worker()` / `child()` stage outside a pipeline (tests,
 * benchmarks): a {@link PoolExecutor} on the stage's shared pool, as the pipeline builder makes
 * through `descriptor.factory`. `chain` lists adjacent stages of the same module (and pool options)
 * to colocate, in order; it defaults to the stage alone as a `map`. With a `filter` or `flatMap` in
 * the chain, `executor.emitsMany` is true and each attempt resolves with an array of 0..n
 * outputs; otherwise with the single value. The stage's timeout is the runner's (the executor
 * does not own it).
 *
 * @example
 * ```ts
 * const exec = createExecutor(worker(url, "parse"), "parse", [
 *   { kind: "map", exportName: "parse" }, { kind: "filter", exportName: "isValid" },
 * ]);
 * exec.execute({ item, index: 0, attempt: 1, signal }, { resolve, reject }); // resolve([parsed]) or resolve([])
 * await exec.close();
 * ```
 */
export function createExecutor<I, O>(
  descriptor: PoolStage<I, O>,
  stage: string,
  chain?: readonly ChainStep[],
): PoolExecutor {
  const steps = chain ?? [{ kind: "map" as const, exportName: descriptor.exportName }];
  if (steps.length === 0) throw new InvalidOptionError("chain", "at least one stage", steps, `stage "${stage}"`);
  if (descriptor.context === "fleet" || descriptor.settings === undefined)
    throw new InvalidOptionError("descriptor", "a worker() or child() stage", descriptor, `stage "${stage}"`);
  return new PoolExecutor(descriptor.context, descriptor.moduleUrl, stage, steps, descriptor.settings);
}
