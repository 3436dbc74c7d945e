import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { LiveRegistry, type LiveEntry } from "./LiveRegistry.js";

/** Where a process registered for `weir top`, and what unregisters it. */
export interface Registration {
  /** The store's file, or undefined for the machine's registry (no store). */
  readonly store: string | undefined;
  unregister(): void;
}

/**
 * The store a process registers in, and `weir top` reads: `given` (the run's own store, or
 * `weir top --db`), else `$WEIR_DB`, else `.weir/weir.db` under the working directory when that
 * file exists already. Undefined when there is none: no store file is ever made for this alone.
 */
export function registryStore(given: string | undefined): string | undefined {
  if (given !== undefined && given !== ":memory:") return resolve(given);
  const env = process.env["WEIR_DB"];
  if (env !== undefined && env !== "") return resolve(env);
  const fallback = join(process.cwd(), ".weir", "weir.db");
  return existsSync(fallback) ? fallback : undefined;
}

/**
 * Registers this process for `weir top`: in the store's `processes` table when it has a store (see
 * {@link registryStore}), else in the machine's {@link LiveRegistry}. A store that cannot be
 * opened (locked, corrupt, newer, better-sqlite3 missing) falls back to the machine's registry,
 * saying why through `warn`: a run is never failed by `weir top`. The SQLite code is loaded here
 * only when a store is used.
 */
export async function registerProcess(
  entry: Omit<LiveEntry, "pid" | "host" | "heartbeatAt">,
  store: string | undefined,
  warn: (line: string) => void,
): Promise<Registration> {
  const path = registryStore(store);
  if (path !== undefined) {
    try {
      const { StoreRegistry } = await import("./StoreRegistry.js");
      return { store: path, unregister: new StoreRegistry(path).register(entry) };
    } catch (error) {
      warn(
        `weir: weir top will find this run through the machine's registry, not the store ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  return { store: undefined, unregister: new LiveRegistry().register(entry) };
}
