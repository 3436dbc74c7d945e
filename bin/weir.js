#!/usr/bin/env node
// The `weir` command. Runs the built CLI (dist/), or the TypeScript source through tsx when the
// package has not been built (a fresh clone before `npm install` finished building).
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

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
