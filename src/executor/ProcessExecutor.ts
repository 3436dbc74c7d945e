import { PoolExecutor } from "./pool/PoolExecutor.js";
import { poolSettings, type PoolOptions } from "./pool/PoolOptions.js";
import type { ChainStep } from "./pool/WireMessage.js";
import { moduleUrl } from "./remote/moduleUrl.js";

/**
 * Runs a stage (or a chain of colocated stages) of a module in a shared child-process pool; each
 * process leads its own process group, killed on close, on a stuck cancellation and when the
 * parent exits. See {@link PoolExecutor} for the batching, cancellation and failure contract.
 *
 * @example
 * ```ts
 * const exec = new ProcessExecutor(new URL("./fns.js", import.meta.url), "render", [{ kind: "map", exportName: "render" }]);
 * ```
 */
export class ProcessExecutor extends PoolExecutor {
  constructor(module: URL | string, stage: string, chain: readonly ChainStep[], options?: PoolOptions) {
    super("process", moduleUrl(module, `stage "${stage}"`), stage, chain, poolSettings(options, `stage "${stage}"`));
  }
}
