import { existsSync, readTextFileSync } from "./onFirstUse.js";

/**
 * Where the files weir ships (worker entry modules, the dashboard's page, `package.json`) are,
 * whether weir runs from its sources (`src/`: the TypeScript under tsx, or the test tree's copy
 * compiled one file per module, scripts/test-tree.mjs) or from the built package (`dist/`, bundled: a
 * module's code sits in whichever file the bundler chose, so no path is relative to the module
 * that asks). The package's root is the nearest folder above this module that holds weir's
 * `package.json`; it is found once, on first use, never on import.
 */
let root: URL | undefined;

/**
 * Running from the sources, one file per module (tests: the TypeScript under `node --import tsx`,
 * or compiled file by file), rather than from `dist/`, where this module is part of a bundle.
 */
export const fromSources = /\/load\/shippedFile\.[jt]s$/.test(import.meta.url);

/** The extension of the sources' modules here: `.ts` under tsx, `.js` compiled. */
const sourceExtension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";

/** The package's root folder (a URL ending in `/`). */
export function packageRoot(): URL {
  if (root !== undefined) return root;
  for (let dir = new URL(".", import.meta.url); ; dir = new URL("..", dir)) {
    const manifest = new URL("package.json", dir);
    if (existsSync(manifest) && isWeir(manifest)) return (root = dir);
    if (dir.pathname === "/") break;
  }
  // no manifest (a copy of weir's files without it): this module is src/load/shippedFile.ts or
  // part of dist/index.js (the core is one file), so a missing file is reported where expected
  return (root = new URL(fromSources ? "../.." : "..", import.meta.url));
}

function isWeir(manifest: URL): boolean {
  try {
    return (JSON.parse(readTextFileSync(manifest)) as { name?: unknown }).name === "weir";
  } catch {
    return false;
  }
}

/**
 * A file weir ships, by its path under `src/` (and `dist/`, where the build puts it at the same
 * path): `shippedFile("dashboard/static/app.js")`.
 */
export function shippedFile(path: string): URL {
  return new URL(`${fromSources ? "src" : "dist"}/${path}`, packageRoot());
}

/**
 * A module weir ships as an entry point of its own (the build lists it), by its path without
 * extension: the source (`.ts`, or `.js` compiled) when running from sources, else the built
 * `.js` file.
 * `shippedModule("executor/pool/runtime/threadEntry")`.
 */
export function shippedModule(path: string): URL {
  return shippedFile(`${path}${fromSources ? sourceExtension : ".js"}`);
}
