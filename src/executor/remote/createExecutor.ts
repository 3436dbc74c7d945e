import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import type { ChainStep } from "../pool/WireMessage.js";
import type { PoolExecutor } from "../pool/PoolExecutor.js";
import type { RemoteStage } from "./RemoteStage.js";

/**
 * Creates the executor that runs a remote stage: a `WorkerExecutor` or `ProcessExecutor` on the
 * stage's shared pool. `chain` lists adjacent stages of the same module (and pool options) to
 * colocate, in order; it defaults to the stage alone as a `map`. With a `filter` or `flatMap` in
 * the chain, `executor.emitsMany` is true and each attempt resolves with an array of 0..n
 * outputs; otherwise with the single value.
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
  descriptor: RemoteStage<I, O>,
  stage: string,
  chain?: readonly ChainStep[],
): PoolExecutor {
  const steps = chain ?? [{ kind: "map" as const, exportName: descriptor.exportName }];
  if (steps.length === 0) throw new InvalidOptionError("chain", "at least one stage", steps, `stage "${stage}"`);
  return descriptor.factory.create(stage, steps) as PoolExecutor;
}
