import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";

/**
 * Normalizes the module of a pool stage to a URL string a worker can `import()`: a `URL`, a
 * `file:`/`data:` URL string, or an absolute path. Relative paths and bare specifiers are refused:
 * a worker cannot know what they are relative to.
 */
export function moduleUrl(value: unknown, where: string): string {
  if (value instanceof URL) return value.href;
  if (typeof value === "string" && value.length > 0) {
    if (/^(file|data):/.test(value)) return value;
    if (isAbsolute(value)) return pathToFileURL(value).href;
  }
  throw new InvalidOptionError(
    "module",
    'a URL (new URL("./module.js", import.meta.url)) or an absolute path',
    value,
    where,
  );
}
