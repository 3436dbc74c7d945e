import type { PoolOptions } from "../pool/PoolOptions.js";
import { makeRemoteStage } from "./makeRemoteStage.js";
import type { RemoteStage } from "./RemoteStage.js";

/**
 * A stage function that runs in a pool of worker threads: export `exportName` of `module`,
 * called as `(item, ctx)` like a main-loop stage function (`ctx.signal` aborts in the thread when
 * the item times out or is cancelled). Items travel in adaptive batches; ArrayBuffers are
 * transferred. Stages naming the same module with equal options share one pool, and adjacent
 * ones are colocated (a batch crosses once and runs through all of them).
 *
 * @param module `new URL("./module.js", import.meta.url)`, a `file:` URL or an absolute path
 * @param exportName the function's export name
 * @param options pool options; see {@link PoolOptions}
 * @throws InvalidOptionError when the module is not a URL or absolute path, or an option is invalid
 * @example
 * ```ts
 * // embed.js: export async function embed(text, ctx) { … }
 * pipeline("docs").from(texts)
 *   .map(worker<string, Float32Array>(new URL("./embed.js", import.meta.url), "embed"), { concurrency: 4 })
 * ```
 */
export function worker<I = unknown, O = unknown>(
  module: URL | string,
  exportName: string,
  options?: PoolOptions,
): RemoteStage<I, O> {
  return makeRemoteStage<I, O>("worker", module, exportName, options);
}
