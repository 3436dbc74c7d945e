import { loadTypeScriptAsModules } from "./typescriptAsModule.js";
import { typeScriptSupport } from "./typeScriptSupport.js";

let registered = false;

/**
 * Makes `import()` of the TypeScript module `module` work in this process: registers tsx (once)
 * and the hooks that load ES module syntax as such, or relies on Node's own type stripping.
 *
 * @throws TypeScriptUnsupportedError when neither tsx nor type stripping is there
 */
export async function enableTypeScript(module: string): Promise<void> {
  const support = typeScriptSupport(module);
  if (support.kind !== "tsx" || registered) return;
  registered = true;
  const { register } = (await import(support.api)) as { register: () => void };
  register();
  loadTypeScriptAsModules();
}
