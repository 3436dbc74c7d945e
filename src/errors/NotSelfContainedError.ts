import { WeirError } from "./WeirError.js";

/**
 * A function given to `worker(fn)` or `child(fn)` uses variables from outside itself. Such a
 * function is sent to its workers by its source and runs there without its closure, so a
 * captured variable would be undefined there: it is refused when the stage is defined, naming
 * the variables. Pass what it needs as the pool's `workerData` (read as `ctx.workerData`) or
 * with the items, import modules inside it (`await import("node:zlib")`), or export it from a
 * module and use `worker(url, exportName)`.
 *
 * @example
 * ```ts
 * const factor = 3;
 * worker((x: number) => x * factor); // throws NotSelfContainedError: names ["factor"]
 * worker((x: number, ctx) => x * (ctx.workerData as { factor: number }).factor, { workerData: { factor } }); // fine
 * ```
 */
export class NotSelfContainedError extends WeirError {
  /** The class name: `error.name`, and what `NotSelfContainedError.is(e)` matches. */
  static override readonly name: string = "NotSelfContainedError";
  /** `worker()` or `child()`. */
  readonly where: string;
  /** The function's name ("" when anonymous). */
  readonly fn: string;
  /** The variables it uses and does not declare, that are not globals of a worker, sorted. */
  readonly names: readonly string[];

  constructor(where: string, fn: string, names: readonly string[]) {
    const what = fn === "" ? "the function" : `function "${fn}"`;
    super(
      "WEIR_NOT_SELF_CONTAINED",
      `${where}: ${what} uses variables from outside itself (${names.join(", ")}); a function sent to a worker ` +
        "by its source runs there without its closure: pass such values as the pool's workerData (ctx.workerData) " +
        "or with the items, import modules inside it, or export it from a module and use " +
        `${where.replace(/\(\)$/, "")}(url, "${fn === "" ? "exportName" : fn}")`,
    );
    this.where = where;
    this.fn = fn;
    this.names = Object.freeze([...names]);
  }
}
