import { PoolExecutor } from "./pool/PoolExecutor.js";
import { poolSettings, type PoolOptions } from "./pool/PoolOptions.js";
import type { ChainStep } from "./pool/WireMessage.js";
import { moduleUrl } from "./remote/moduleUrl.js";

/**
 * Runs a stage (or a chain of colocated stages) of a module in a shared worker-thread pool. See
 * {@link PoolExecutor} for the batching, cancellation and failure contract.
 *
 * @example
 * ```ts
 * const exec = new WorkerExecutor(new URL("./fns.js", import.meta.url), "double", [{ kind: "map", exportName: "double" }]);
 * ```
 */
export class WorkerExecutor extends PoolExecutor {
  constructor(module: URL | string, stage: string, chain: readonly ChainStep[], options?: PoolOptions) {
    super("worker", moduleUrl(module, `stage "${stage}"`), stage, chain, poolSettings(options, `stage "${stage}"`));
  }
}
