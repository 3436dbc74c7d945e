/** The first line of a module made from a function's source (`worker(fn)`): `// weir: <label>`. */
export const FUNCTION_MODULE_MARK = "// weir: ";

/** Longest data: URL quoted whole in a message. */
const QUOTED_MAX = 80;

/**
 * How messages name a module: its URL, or for a module made from a function's source (a
 * `data:` URL) the label on its first line, or the start of any other `data:` URL.
 */
export function moduleLabel(url: string): string {
  if (!url.startsWith("data:")) return url;
  const comma = url.indexOf(",");
  if (comma >= 0) {
    let head: string;
    try {
      // the start of the source, without an escape cut in two
      head = decodeURIComponent(url.slice(comma + 1, comma + 1 + 6 * QUOTED_MAX).replace(/%[0-9A-Fa-f]?$/, ""));
    } catch {
      head = "";
    }
    if (head.startsWith(FUNCTION_MODULE_MARK)) {
      const end = head.indexOf("\n");
      if (end > 0) return head.slice(FUNCTION_MODULE_MARK.length, end);
    }
  }
  return url.length <= QUOTED_MAX ? url : `${url.slice(0, QUOTED_MAX)}… (${url.length} characters)`;
}
