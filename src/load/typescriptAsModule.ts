import { register } from "node:module";

/**
 * Module hooks (Node's `module.register`, chained after tsx's) that load a `.ts`/`.tsx` file
 * written with `import`/`export` as an ES module wherever it lives. tsx takes a `.ts` file outside
 * a `"type": "module"` package for CommonJS and turns its imports into `require()` calls, which
 * cannot load an ES module such as weir ("Cannot require() ES Module"). Files under node_modules,
 * `.cts` files and files without ES module syntax keep the format tsx gave them (or leaves to its load
 * hook, as it does on Node 22 and later): tsx gives "commonjs" on Node 20 and leaves the format
 * to its load hook on Node 22 and later. (No comments inside the hooks' code: the build empties
 * comment lines of built modules and refuses to touch a string.)
 */
const hooks = `
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
const esmSyntax = /^\\s*(?:import\\s*[\\w{*"'\\x60]|export\\s)/m;
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  if ((resolved.format != null && resolved.format !== "commonjs") || !resolved.url.startsWith("file:")) return resolved;
  const path = fileURLToPath(resolved.url);
  if (!/\\.tsx?$/.test(path) || /[\\\\/]node_modules[\\\\/]/.test(path)) return resolved;
  let source;
  try { source = readFileSync(path, "utf8"); } catch { return resolved; }
  return esmSyntax.test(source) ? { ...resolved, format: "module" } : resolved;
}
`;

let registered = false;

/** Registers the hooks once per process (after tsx's, so they see the format tsx chose). */
export function loadTypeScriptAsModules(): void {
  if (registered) return;
  registered = true;
  register(`data:text/javascript,${encodeURIComponent(hooks)}`);
}
