import { fileURLToPath } from "node:url";

/**
 * How workers load TypeScript. When weir runs from its `.ts` sources (tests, `tsx`) or the
 * user's module is `.ts`/`.mts`/`.cts`, workers load `tsx` first; from the built package with a
 * `.js` module, nothing extra is loaded.
 *
 * Child processes take `--import tsx`. Threads cannot (Node 20 ignores `--import` hooks for a
 * worker's entry), so a thread starts from a one-line bootstrap that registers tsx through its
 * API and then imports the entry.
 */
export function needsTypeScript(entryUrl: string, moduleUrl: string): boolean {
  return isTypeScript(entryUrl) || isTypeScript(moduleUrl);
}

/** `--import` flags for a child process. */
export function processLoaderArgs(entryUrl: string, moduleUrl: string): string[] {
  return needsTypeScript(entryUrl, moduleUrl) ? ["--import", resolveOr("tsx", "tsx")] : [];
}

/** What `new Worker()` should run: the entry itself, or (for TypeScript) an eval'd bootstrap. */
export function threadEntry(entry: URL, moduleUrl: string): { readonly filename: URL | string; readonly eval: boolean } {
  if (!needsTypeScript(entry.href, moduleUrl)) return { filename: entry, eval: false };
  const api = resolveOr("tsx/esm/api", "tsx/esm/api");
  const code = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return { filename: code, eval: true };
}

function resolveOr(specifier: string, fallback: string): string {
  try {
    return import.meta.resolve(specifier);
  } catch {
    return fallback; // resolved by Node from the working directory instead
  }
}

function isTypeScript(url: string): boolean {
  const path = url.startsWith("file:") ? fileURLToPath(url) : url;
  return /\.[cm]?ts$/.test(path);
}

/** URL of a sibling entry file, `.ts` when this module runs from source, `.js` when built. */
export function entryUrl(name: "threadEntry" | "processEntry"): URL {
  const ext = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
  return new URL(`./${name}${ext}`, import.meta.url);
}
