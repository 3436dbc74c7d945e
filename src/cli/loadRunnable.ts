import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { WeirError } from "../errors/WeirError.js";

/** What `weir run` can run: anything with `run()` and `plan()` (a pipeline handle or a workflow). */
export interface CliRunnable {
  /** The pipeline's or workflow's name. */
  readonly name: string;
  /** Starts a run: awaitable, with `snapshot()` and, for pipelines, `stop()`. */
  run(options?: { signal?: AbortSignal }): PromiseLike<unknown> & {
    stop?(options?: { graceMs?: number }): Promise<unknown>;
    snapshot(): unknown;
  };
  /** Its plan, as data (`weir plan` prints it). */
  plan(): unknown;
}

/** The module could not be loaded, or does not export something runnable. */
export class LoadError extends WeirError {
  constructor(message: string, cause?: unknown) {
    super("WEIR_LOAD_FAILED", message, { cause });
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

/**
 * Imports `file` (TypeScript through tsx, or JavaScript) and returns its default export: a pipeline
 * handle or workflow, or a function (possibly async) returning one.
 */
export async function loadRunnable(file: string): Promise<CliRunnable> {
  const path = resolve(process.cwd(), file);
  if (!existsSync(path)) throw new LoadError(`weir: no such file: ${file}`);
  if (/\.[mc]?tsx?$/.test(path)) {
    const { register } = await import("tsx/esm/api");
    register();
  }
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (error) {
    throw new LoadError(
      `weir: could not load ${file}: ${error instanceof Error ? error.message : String(error)}`,
      error,
    );
  }
  let value = mod.default;
  if (typeof value === "function") value = await (value as () => unknown)();
  if (!isRunnable(value)) {
    throw new LoadError(
      `weir: ${file} must export default a pipeline (or workflow), or a function returning one; got ${value === undefined ? "no default export" : typeof value}`,
    );
  }
  return value;
}
