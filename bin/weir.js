#!/usr/bin/env node
// The `weir` command. Runs the built CLI (dist/), or the TypeScript source through tsx when the
// package has not been built (a fresh clone before `npm install` finished building).
import { existsSync } from "node:fs";
import module from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

// Node 22.1 and later keep V8's compiled code of the modules a command loads on disk, so the next
// command starts faster (absent on Node 20; never throws). The cache lives in os.tmpdir(), or
// where NODE_COMPILE_CACHE says; NODE_DISABLE_COMPILE_CACHE=1 turns it off.
module.enableCompileCache?.();

const root = fileURLToPath(new URL("..", import.meta.url));
const built = `${root}dist/cli/main.js`;
let main;
if (existsSync(built)) {
  main = await import(pathToFileURL(built).href);
} else {
  const { register } = await import("tsx/esm/api");
  register();
  main = await import(pathToFileURL(`${root}src/cli/main.ts`).href);
}
process.exitCode = await main.main(process.argv.slice(2));
