import { WeirError } from "./WeirError.js";

/**
 * The module of a worker-thread or child-process stage could not give the stage its function:
 * it threw while loading (at top level, or a top-level `await` rejected) in every worker the pool
 * tried (`loadAttempts` in a row, with backoff), or it has no function export of that name. The
 * module's own error is the `cause`. Every item of the stage fails with it; the stage's retry and
 * onError policies then apply.
 *
 * A module that fails to load once (a transient fault) does not fail items: its worker is
 * replaced and the items it held run on another.
 *
 * @example
 * ```ts
 * try { await run; } catch (e) {
 *   if (WeirError.is(e) && e.cause instanceof ModuleLoadError) console.error(e.cause.module, e.cause.cause);
 * }
 * ```
 */
export class ModuleLoadError extends WeirError {
  /** The class name: `error.name`, and what `ModuleLoadError.is(e)` matches. */
  static override readonly name: string = "ModuleLoadError";
  /** The stage whose function it is. */
  readonly stage: string;
  /** The module's URL. */
  readonly module: string;
  /** The export(s) the stage calls (several for a colocated chain). */
  readonly exportName: string;
  /** Where it was loaded: `worker` (thread) or `process`. */
  readonly context: "worker" | "process";

  constructor(
    stage: string,
    module: string,
    exportName: string,
    context: "worker" | "process",
    reason: string,
    cause: unknown,
  ) {
    const where = context === "worker" ? "a worker thread" : "a child process";
    const said =
      cause instanceof Error ? `: ${cause.name}: ${cause.message}` : cause === undefined ? "" : `: ${String(cause)}`;
    super(
      "WEIR_LOAD_FAILED",
      `stage "${stage}": module ${module} (export "${exportName}", in ${where}) ${reason}${said}`,
      {
        cause,
      },
    );
    this.stage = stage;
    this.module = module;
    this.exportName = exportName;
    this.context = context;
  }
}
