import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { WeirError } from "../errors/WeirError.js";
import { enableTypeScript } from "../load/enableTypeScript.js";
import type { MetricsSink } from "../stats/MetricsSink.js";

/** What `weir run` can run: anything with `run()` and `plan()` (a pipeline handle or a workflow). */
export interface CliRunnable {
  /** The pipeline's or workflow's name. */
  readonly name: string;
  /** Starts a run: awaitable, with `snapshot()` and, for pipelines, `stop()`. */
  run(options?: {
    signal?: AbortSignal;
    metrics?: MetricsSink;
    readonly [option: string]: unknown;
  }): PromiseLike<unknown> & {
    stop?(options?: { graceMs?: number }): Promise<unknown>;
    snapshot(): unknown;
  };
  /** Its plan, as data (`weir plan` prints it). */
  plan(): unknown;
}

/**
 * The module could not be loaded (missing, a syntax error, it threw at top level), its default
 * export is a factory that threw, or it exports nothing runnable. The module's error is the `cause`.
 */
export class LoadError extends WeirError {
  /** The class name: `error.name`, and what `LoadError.is(e)` matches. */
  static override readonly name: string = "LoadError";
  /** The file as given on the command line. */
  readonly file: string;

  constructor(file: string, message: string, cause?: unknown) {
    super("WEIR_LOAD_FAILED", `${file}: ${message}`, { cause });
    this.file = file;
  }
}

function isRunnable(value: unknown): value is CliRunnable {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as CliRunnable).run === "function" &&
    typeof (value as CliRunnable).plan === "function"
  );
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Imports `file` (TypeScript through tsx, or JavaScript) and returns its default export: a pipeline
 * handle or workflow, or a function (possibly async) returning one. Every failure is a
 * {@link LoadError}.
 */
export async function loadRunnable(file: string): Promise<CliRunnable> {
  const path = resolve(process.cwd(), file);
  if (!existsSync(path)) throw new LoadError(file, "no such file");
  if (/\.[mc]?tsx?$/.test(path)) {
    await enableTypeScript(file); // or WEIR_TYPESCRIPT_UNSUPPORTED, naming the file
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new LoadError(file, `could not load the module: ${reason(error)}`, error);
  }
  let value = mod.default;
  if (typeof value === "function") {
    try {
      value = await (value as () => unknown)();
    } catch (error) {
      throw new LoadError(file, `its default export (a factory) threw: ${reason(error)}`, error);
    }
  }
  if (!isRunnable(value)) {
    throw new LoadError(
      file,
      `must export default a pipeline (or workflow), or a function returning one; got ${value === undefined ? "no default export" : typeof value}`,
    );
  }
  return value;
}
