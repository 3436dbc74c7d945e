import type { PoolOptions } from "../pool/PoolOptions.js";
import { makeRemoteStage } from "./makeRemoteStage.js";
import type { RemoteStage } from "./RemoteStage.js";

/**
 * A stage function that runs in a pool of child processes: export `exportName` of `module`,
 * called as `(item, ctx)`. Use it for isolation: a crash, a memory blow-up or a stuck native call
 * takes down one process (its items fail with `WEIR_WORKER_CRASHED` and follow the stage's retry
 * and onError policies), never the run. Each process leads its own process group, killed on
 * close, on timeout and when the parent exits, so nothing it starts is left behind. Items travel
 * as msgpack frames in adaptive batches.
 *
 * @param module `new URL("./module.js", import.meta.url)`, a `file:` URL or an absolute path
 * @param exportName the function's export name
 * @param options pool options; see {@link PoolOptions}
 * @throws InvalidOptionError when the module is not a URL or absolute path, or an option is invalid
 * @example
 * ```ts
 * pipeline("pdfs").from(files)
 *   .map(child<string, string>(new URL("./render.js", import.meta.url), "render", { maxWorkers: 4 }),
 *        { concurrency: 4, timeoutMs: 30_000, retry: 2, onError: "dead-letter" })
 * ```
 */
export function child<I = unknown, O = unknown>(
  module: URL | string,
  exportName: string,
  options?: PoolOptions,
): RemoteStage<I, O> {
  return makeRemoteStage<I, O>("process", module, exportName, options);
}
