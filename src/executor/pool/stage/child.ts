import type { PoolOptions } from "./PoolOptions.js";
import { engine } from "../../../load/engines.js";
import type { PoolStage } from "./PoolStage.js";
import type { PoolFunction } from "./PoolStageContext.js";

/**
 * A self-contained function as a stage that runs in a pool of child processes: it is sent by its
 * source (Node cannot send a closure to another thread or process) and must use nothing from
 * outside itself but globals: pass values as `workerData` (read as `ctx.workerData`) or with the
 * items, and `await import()` modules inside it (by `node:` name or absolute URL: bare package
 * names cannot resolve from it). A function that uses outer variables is refused when the stage
 * is defined (see docs/contexts.md for what the check sees and what it cannot).
 *
 * @param fn `(item, ctx) => result`, sync or async
 * @param options pool options; see {@link PoolOptions}
 * @throws NotSelfContainedError when `fn` uses variables it does not declare (`WEIR_NOT_SELF_CONTAINED`)
 * @throws InvalidOptionError for a class, a bound or built-in function, or an invalid option
 * @example
 * ```ts
 * pipeline("hash").from(texts)
 *   .map(child(async (text: string) => (await import("node:crypto")).createHash("sha256").update(text).digest("hex")))
 * ```
 */
export function child<I, O, Local = unknown, Data = unknown>(
  fn: PoolFunction<I, O, Local, Data>,
  options?: PoolOptions,
): PoolStage<I, Awaited<O>>;
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
): PoolStage<I, O>;
export function child(
  moduleOrFn: URL | string | PoolFunction<unknown, unknown>,
  exportOrOptions?: string | PoolOptions,
  options?: PoolOptions,
): PoolStage<unknown, unknown> {
  return engine("pool").makePoolStage("process", moduleOrFn, exportOrOptions, options);
}
