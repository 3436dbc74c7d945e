import { readFileSync } from "node:fs";
import { shippedFile } from "../../load/shippedFile.js";

/** A file of the page, read once. */
export interface StaticFile {
  readonly type: string;
  readonly body: string;
}

const types: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "app.js": "text/javascript; charset=utf-8",
  "app.css": "text/css; charset=utf-8",
};

/**
 * The page's files (plain HTML, CSS and JavaScript, no framework), shipped in the package
 * (`src/dashboard/static`, copied to `dist/dashboard/static` by the build), read when the dashboard
 * starts. `index.html` names the others with the token: `{{TOKEN}}` is replaced.
 */
export function staticFiles(token: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const [name, type] of Object.entries(types)) {
    const text = readFileSync(shippedFile(`dashboard/static/${name}`), "utf8");
    files.set(name, { type, body: name === "index.html" ? text.replaceAll("{{TOKEN}}", token) : text });
  }
  return files;
}
