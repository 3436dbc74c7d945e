import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { TypeScriptUnsupportedError } from "../errors/TypeScriptUnsupportedError.js";
import { requireFrom } from "./requireFrom.js";

/**
 * How this process loads a TypeScript module: through `tsx` (an optional peer dependency; full
 * TypeScript, `.js` specifiers that name `.ts` files, CommonJS interop), or through Node's own type
 * stripping (Node 22.18 and later: erasable syntax only, imports spelled with `.ts`).
 */
export type TypeScriptSupport =
  | {
      readonly kind: "tsx";
      /** tsx's entry, as a URL (for `--import`). */
      readonly tsx: string;
      /** tsx's `esm/api` entry, as a URL (for `register()`). */
      readonly api: string;
    }
  | { readonly kind: "node" };

let found: TypeScriptSupport | null | undefined;

/**
 * The TypeScript support available here: tsx when it resolves from weir or from the working
 * directory, else Node's own type stripping when the running Node has it.
 *
 * @throws TypeScriptUnsupportedError naming `module` when neither is there
 */
export function typeScriptSupport(module: string): TypeScriptSupport {
  if (found === undefined) found = detect();
  if (found === null) throw new TypeScriptUnsupportedError(module);
  return found;
}

function detect(): TypeScriptSupport | null {
  const tsx = resolveTsx("tsx");
  const api = resolveTsx("tsx/esm/api");
  if (tsx !== null && api !== null) return { kind: "tsx", tsx, api };
  const features = process.features as { typescript?: string | false };
  return typeof features.typescript === "string" ? { kind: "node" } : null;
}

/** Resolves a tsx entry from weir's own location, then from the working directory; null when missing. */
function resolveTsx(specifier: string): string | null {
  try {
    return import.meta.resolve(specifier);
  } catch {
    // not installed where weir is: try the user's project
  }
  try {
    const require = requireFrom(join(process.cwd(), "package.json"));
    // tsx's "exports" has a "require" condition for both entries
    return pathToFileURL(require.resolve(specifier)).href;
  } catch {
    return null;
  }
}
