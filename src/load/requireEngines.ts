import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { NodeUnsupportedError } from "../errors/NodeUnsupportedError.js";
import type * as Entry from "../runEngines.js";

let loaded: typeof Entry | undefined;

/**
 * The built package's `engines()` (src/load/engines.ts): loads the run engines' entry
 * (dist/runEngines.js) on the first call, synchronously, with `require()` of an ES module,
 * so that `run()` stays synchronous. The entry imports the core chunk the caller already loaded:
 * one copy of every class (Node's ES module cache serves `require()` and `import` alike).
 */
export function requireEngines(): typeof Entry {
  if (loaded !== undefined) return loaded;
  if ((process.features as { require_module?: boolean }).require_module !== true)
    throw new NodeUnsupportedError("require() an ES module, which loads weir's run engines");
  // this module is built into dist/chunks/ (the build checks): the entry is dist/runEngines.js
  const entry = fileURLToPath(new URL("../runEngines.js", import.meta.url));
  return (loaded = createRequire(import.meta.url)(entry) as typeof Entry);
}
