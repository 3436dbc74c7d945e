import type { PoolOptions } from "./PoolOptions.js";
import { engine } from "../../../load/engines.js";
import type { PoolStage } from "./PoolStage.js";
import type { PoolFunction } from "./PoolStageContext.js";

/**
 * A self-contained function as a stage that runs in a pool of worker threads: it is sent by its
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
 *   .map(worker(async (text: string) => (await import("node:crypto")).createHash("sha256").update(text).digest("hex")))
 * ```
 */
export function worker<I, O, Local = unknown, Data = unknown>(
  fn: PoolFunction<I, O, Local, Data>,
  options?: PoolOptions,
): PoolStage<I, Awaited<O>>;
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
): PoolStage<I, O>;
export function worker(
  moduleOrFn: URL | string | PoolFunction<unknown, unknown>,
  exportOrOptions?: string | PoolOptions,
  options?: PoolOptions,
): PoolStage<unknown, unknown> {
  return engine("pool").makePoolStage("worker", moduleOrFn, exportOrOptions, options);
}
