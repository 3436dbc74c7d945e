import * as entry from "../runEngines.js";

/**
 * The run engines (src/runEngines.ts: what runs a pipeline, a workflow, a runtime, a memory store).
 * Compiling them is most of what importing weir would cost, and a program that imports weir may
 * never run anything (a CLI's `--help`, a module that only defines pipelines), so the built
 * package loads them on first use: the build (scripts/build.mjs) puts this module's place in the
 * bundle to `requireEngines()` (src/load/requireEngines.ts), which `require()`s their entry
 * (dist/runEngines.js) the first time one is asked for. From the sources (tests, tsx) they
 * are imported here, statically: the same modules, loaded with the rest.
 */
export function engines(): typeof entry {
  return entry;
}
