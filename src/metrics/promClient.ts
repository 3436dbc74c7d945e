import { createRequire } from "node:module";
import type * as PromClient from "prom-client";
import { OptionalDependencyMissingError } from "../errors/OptionalDependencyMissingError.js";

/** prom-client's module (CommonJS: the same instance an `import … from "prom-client"` gets). */
export type PromClientModule = typeof PromClient;

const require = createRequire(import.meta.url);
let loaded: PromClientModule | undefined;

/**
 * prom-client, loaded on first use: it is an optional peer dependency, so `weir/metrics` imports
 * without it and only what needs it fails.
 *
 * @param feature what needs it, for the error (`metrics()`, `weir run --metrics-port`)
 * @throws OptionalDependencyMissingError when prom-client is not installed where weir resolves it
 */
export function promClient(feature: string): PromClientModule {
  if (loaded !== undefined) return loaded;
  try {
    loaded = require("prom-client") as PromClientModule;
  } catch (error) {
    if (isMissing(error, "prom-client")) throw new OptionalDependencyMissingError("prom-client", feature, error);
    throw error;
  }
  return loaded;
}

/** True when `error` says that `pkg` itself (not one of its own imports) cannot be found. */
export function isMissing(error: unknown, pkg: string): boolean {
  const e = error as { code?: unknown; message?: unknown } | null;
  return (
    (e?.code === "MODULE_NOT_FOUND" || e?.code === "ERR_MODULE_NOT_FOUND") &&
    typeof e.message === "string" &&
    e.message.includes(`'${pkg}'`)
  );
}
