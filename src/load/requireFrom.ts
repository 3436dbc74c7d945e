/**
 * A `require()` that resolves from `from` (a file URL or path), made without importing
 * `node:module`. An ES module `import` of a builtin is done when weir is imported, and
 * `node:module` brings Node's source map support with it, where weir needs a `require` only on
 * first use (an engine, msgpackr, a user's tsx). `process.getBuiltinModule` (Node
 * 20.16 and later: the `engines` minimum) hands the module over synchronously, when asked.
 */
export function requireFrom(from: string | URL): NodeJS.Require {
  return process.getBuiltinModule("node:module").createRequire(from);
}
