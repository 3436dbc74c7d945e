/**
 * Digest every Markdown file under a directory (default: node_modules/): read files concurrently,
 * parse and clean the text, hash it, gzip it on the libuv thread pool, and write one JSON line per
 * document to out/markdown-digest.jsonl in batches.
 *
 *   npx weir run examples/markdown-digest.ts
 *   WEIR_DIGEST_DIR=docs npx weir run examples/markdown-digest.ts
 *
 * Durably (Ctrl-C, a kill, a crash: `weir resume` finishes the run without redoing what was done):
 *   npx weir run --durable examples/markdown-digest.ts
 *   npx weir resume <runId> examples/markdown-digest.ts   (the command the run prints)
 *
 * The source is seekable, `(offset) => …`: a resumed run walks the tree again and skips the
 * `offset` files its checkpoint says are done (in the same order: the tree must not change in
 * between). Rows are appended (at least once): the batch in flight when a run was killed may be
 * written again on resume; tell them apart by `path`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { appendFile, opendir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { gzip } from "node:zlib";
import { pipeline } from "weir";

const root = process.env.WEIR_DIGEST_DIR ?? "node_modules";
const output = process.env.WEIR_DIGEST_OUT ?? "out/markdown-digest.jsonl";
const gzipAsync = promisify(gzip);

/** The items of `items` from the `offset`-th on. */
async function* skip<T>(items: AsyncIterable<T>, offset: number): AsyncGenerator<T> {
  let i = 0;
  for await (const item of items) if (i++ >= offset) yield item;
}

/** Walks `dir` lazily, yielding Markdown file paths: pulled as the pipeline has room, never listed up front. */
async function* markdownFiles(dir: string): AsyncGenerator<string> {
  let entries;
  try {
    entries = await opendir(dir);
  } catch {
    return;
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* markdownFiles(path);
    else if (entry.isFile() && /\.(md|markdown)$/i.test(entry.name)) yield path;
  }
}

interface Doc {
  path: string;
  text: string;
}

interface Parsed extends Doc {
  title: string;
  headings: number;
  links: number;
}

function parse(doc: Doc): Parsed {
  const title = /^#\s+(.+)$/m.exec(doc.text)?.[1]?.trim() ?? doc.path.split("/").slice(-2).join("/");
  return {
    ...doc,
    title,
    headings: doc.text.match(/^#{1,6}\s/gm)?.length ?? 0,
    links: doc.text.match(/\]\([^)]+\)/g)?.length ?? 0,
  };
}

function clean(doc: Parsed): Parsed {
  const text = doc.text
    .replace(/```[\s\S]*?```/g, " ")
    .replace(/`[^`]*`/g, " ")
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[#>*_~|-]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return { ...doc, text };
}

export default pipeline<string>("markdown-digest")
  .from((offset) => {
    mkdirSync(output.replace(/\/[^/]+$/, ""), { recursive: true });
    if (offset === 0) writeFileSync(output, ""); // a resumed run appends to what it wrote
    return skip(markdownFiles(root), offset);
  })
  .map(async (path) => ({ path, text: await readFile(path, "utf8") }), { name: "read", concurrency: 16 })
  .map(parse)
  .filter((doc) => doc.text.length > 0, { name: "non-empty" })
  .map(clean)
  .map((doc) => ({ ...doc, sha256: createHash("sha256").update(doc.text).digest("hex") }), { name: "hash" })
  .map(
    async (doc) => {
      const gz = await gzipAsync(doc.text, { level: 9 });
      return {
        path: doc.path,
        title: doc.title,
        headings: doc.headings,
        links: doc.links,
        sha256: doc.sha256,
        chars: doc.text.length,
        gzipped: gz.length,
      };
    },
    { name: "gzip", concurrency: 4, retry: { attempts: 2, baseMs: 10 }, onError: "dead-letter" },
  )
  .batch({ size: 50, maxWaitMs: 100, name: "rows" })
  .to(async (rows) => appendFile(output, rows.map((r) => JSON.stringify(r)).join("\n") + "\n"), { name: "write" });
