import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type * as Esbuild from "esbuild";
import { fromSources, shippedModule } from "../../../load/shippedFile.js";
import { typeScriptSupport } from "../../../load/typeScriptSupport.js";

/**
 * How workers start, from the built package or from weir's TypeScript sources.
 *
 * - Built package (`dist/`) with a `.js` user module: the entry file itself
 *   (`dist/executor/pool/runtime/threadEntry.js`, an entry point of the bundle), no loader.
 * - From source (tests: `node --import tsx`, or the sources compiled file by file): the entry
 *   and its imports are bundled once per process with esbuild (tsx's own dependency) into a
 *   `.mjs` file, so each worker starts in ~20 ms instead of ~150 ms with tsx (and loads one file,
 *   not 34). The file is written, never reused, in a directory of this process's own
 *   (`mkdtemp`: a fresh name only its user can enter, mode 0700), removed when the process
 *   exits: another local user can neither plant a bundle for it nor swap one. Without
 *   esbuild, the entry itself is loaded (a `.ts` one through tsx).
 * - A `.ts` user module: tsx is loaded in the worker when it is installed. Child processes take
 *   `--import tsx`; threads cannot (Node 20 does not apply `--import` hooks to a worker's entry),
 *   so a thread starts from a one-line bootstrap that registers tsx through its API and imports
 *   the entry. Without tsx, a Node that strips types (22.18 and later) loads the module itself;
 *   otherwise the stage fails with `WEIR_TYPESCRIPT_UNSUPPORTED`.
 */
export interface WorkerStart {
  /** What to run: a file URL, or code when `eval` is true (threads). */
  readonly entry: URL | string;
  readonly eval: boolean;
  /** Node flags the worker needs before the user's own. */
  readonly execArgv: readonly string[];
}

const built = new Map<string, URL | null>();

/** How to start a thread or a process running `moduleUrl`. */
export function workerStart(kind: "threadEntry" | "processEntry", moduleUrl: string): WorkerStart {
  const source = shippedModule(`executor/pool/runtime/${kind}`);
  const tsModule = isTypeScript(moduleUrl);
  const entry = fromSources ? (bundled(source) ?? source) : source;
  const needsTypeScript = tsModule || isTypeScript(entry.href);
  if (!needsTypeScript) return { entry, eval: false, execArgv: [] };
  const support = typeScriptSupport(tsModule ? moduleUrl : entry.href);
  if (support.kind === "node") return { entry, eval: false, execArgv: [] }; // Node strips types itself
  if (kind === "processEntry") return { entry, eval: false, execArgv: ["--import", support.tsx] };
  const code = `import(${JSON.stringify(support.api)}).then((m) => { m.register(); return import(${JSON.stringify(entry.href)}); });`;
  return { entry: code, eval: true, execArgv: [] };
}

/** Bundles an entry's sources into one `.mjs` file (once per process); null when esbuild is missing. */
function bundled(source: URL): URL | null {
  const cached = built.get(source.href);
  if (cached !== undefined) return cached;
  let out: URL | null = null;
  try {
    const require = createRequire(import.meta.url);
    const esbuild = require("esbuild") as typeof Esbuild; // a devDependency: weir runs from source only in development
    const result = esbuild.buildSync({
      entryPoints: [fileURLToPath(source)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      write: false,
      logLevel: "silent",
      external: ["msgpackr-extract"],
      // the bundle's modules ask where they are (to find weir's files, to require msgpackr on
      // first use): the answer is the entry's source, not the private directory the file is in
      define: { "import.meta.url": "__weirSourceUrl" },
      banner: {
        js:
          `const __weirSourceUrl = ${JSON.stringify(source.href)}; ` +
          "import { createRequire as __weirRequire } from 'node:module'; const require = __weirRequire(__weirSourceUrl);",
      },
    });
    const path = join(privateDir(), `${kindOf(source)}.mjs`);
    // "wx": a file already there (it cannot be, in a fresh directory) is an error, never reused
    writeFileSync(path, result.outputFiles[0]!.text, { flag: "wx", mode: 0o600 });
    out = pathToFileURL(path);
  } catch {
    out = null;
  }
  built.set(source.href, out);
  return out;
}

/** This process's directory for bundles, made on first use (mode 0700) and removed at exit. */
let ownDir: string | undefined;

function privateDir(): string {
  if (ownDir !== undefined) return ownDir;
  const dir = mkdtempSync(join(tmpdir(), "weir-"));
  ownDir = dir;
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** `threadEntry` or `processEntry`, from the entry's URL. */
function kindOf(source: URL): string {
  return source.pathname.slice(source.pathname.lastIndexOf("/") + 1).replace(/\.[cm]?[jt]s$/, "");
}

function isTypeScript(url: string): boolean {
  if (url.startsWith("data:")) return false; // a function's source (worker(fn)), already JavaScript
  const path = url.startsWith("file:") ? fileURLToPath(url) : url;
  return /\.[cm]?ts$/.test(path);
}
