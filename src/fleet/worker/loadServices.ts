import { existsSync } from "node:fs";
import { isAbsolute, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { LoadError } from "../../cli/loadRunnable.js";
import { enableTypeScript } from "../../load/enableTypeScript.js";
import type { StageContext } from "../../stage/StageContext.js";
import { serviceName } from "../protocol/FleetKeys.js";

/** An export a worker serves. */
export interface Service {
  /** `<module>:<export>`. */
  readonly name: string;
  readonly exportName: string;
  /** The module's file URL. */
  readonly moduleUrl: string;
  readonly fn: (item: unknown, ctx: StageContext) => unknown;
}

/**
 * Loads the modules a worker was started with (TypeScript through tsx) and picks the exports it
 * serves: those named in `exports` (each must be a function exported by one of the modules), or
 * every exported function when `exports` is undefined. This is the whole table a worker runs
 * from: a message can only pick one of these, by the stream it arrives on.
 * @throws LoadError when a module is missing or fails to load, a named export is missing or not a
 * function, two modules serve the same name, or nothing is left to serve
 */
export async function loadServices(
  modules: readonly string[],
  exports: readonly string[] | undefined,
): Promise<Service[]> {
  const services = new Map<string, Service>();
  const found = new Set<string>();
  for (const module of modules) {
    const url = toUrl(module);
    const path = fileURLToPath(url);
    if (!existsSync(path)) throw new LoadError(module, "no such file");
    if (/\.[mc]?tsx?$/.test(path)) {
      await enableTypeScript(module); // or WEIR_TYPESCRIPT_UNSUPPORTED, naming the module
    }
    let mod: Record<string, unknown>;
    try {
      mod = (await import(url)) as Record<string, unknown>;
    } catch (error) {
      throw new LoadError(
        module,
        `could not load the module: ${error instanceof Error ? error.message : String(error)}`,
        error,
      );
    }
    for (const [exportName, value] of Object.entries(mod)) {
      if (exportName === "default" || typeof value !== "function") continue;
      if (exports !== undefined && !exports.includes(exportName)) continue;
      const name = serviceName(url, exportName);
      if (services.has(name))
        throw new LoadError(module, `"${name}" is served by two modules: give their files different names`);
      services.set(name, { name, exportName, moduleUrl: url, fn: value as Service["fn"] });
      found.add(exportName);
    }
    if (exports !== undefined) {
      for (const name of exports) {
        if (name in mod && typeof mod[name] !== "function" && !found.has(name))
          throw new LoadError(module, `export "${name}" is not a function (it is ${typeof mod[name]})`);
      }
    }
  }
  if (exports !== undefined) {
    const missing = exports.filter((name) => !found.has(name));
    if (missing.length > 0)
      throw new LoadError(modules.join(", "), `no function exported as ${missing.map((m) => `"${m}"`).join(", ")}`);
  }
  if (services.size === 0) throw new LoadError(modules.join(", "), "exports no function to serve");
  return [...services.values()];
}

function toUrl(module: string): string {
  if (module.startsWith("file:")) return module;
  return pathToFileURL(isAbsolute(module) ? module : resolve(process.cwd(), module)).href;
}
