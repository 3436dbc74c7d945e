/**
 * A workflow that runs a pipeline inside one of its tasks: find the Markdown files under a
 * directory (default node_modules/), digest them concurrently, measure them, and write a report
 * to out/docs-report.json (or $WEIR_REPORT_OUT) once both branches are done.
 *
 *   npx weir run examples/docs-report.ts
 */
import { mkdir, opendir, stat, writeFile } from "node:fs/promises";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { pipeline, workflow } from "weir";

const root = process.env.WEIR_DIGEST_DIR ?? "node_modules";
const reportPath = process.env.WEIR_REPORT_OUT ?? "out/docs-report.json";

async function findMarkdown(dir: string, out: string[] = []): Promise<string[]> {
  let entries;
  try {
    entries = await opendir(dir);
  } catch {
    return out;
  }
  for await (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await findMarkdown(path, out);
    else if (entry.isFile() && /\.(md|markdown)$/i.test(entry.name)) out.push(path);
  }
  return out;
}

export default workflow("docs-report")
  .task("scan", () => findMarkdown(root))
  .task("digest", { after: ["scan"], retry: { attempts: 2 } }, async ({ results, signal }) => {
    const hashes = new Map<string, number>();
    await pipeline<string>("digest")
      .from(results.scan)
      .map(async (path) => readFile(path, "utf8"), { concurrency: 16, name: "read" })
      .map((text) => createHash("sha256").update(text).digest("hex"), { name: "hash" })
      .to((hash) => void hashes.set(hash, (hashes.get(hash) ?? 0) + 1), { name: "count" })
      .run({ signal });
    return {
      files: results.scan.length,
      distinct: hashes.size,
      duplicates: [...hashes.values()].filter((n) => n > 1).length,
    };
  })
  .task("sizes", { after: ["scan"] }, async ({ results }) => {
    let bytes = 0;
    for (const path of results.scan) bytes += (await stat(path)).size;
    return { bytes };
  })
  .task("report", { after: ["digest", "sizes"], priority: 1 }, async ({ results }) => {
    const report = { root, ...results.digest, ...results.sizes };
    await mkdir(dirname(reportPath), { recursive: true });
    await writeFile(reportPath, JSON.stringify(report, null, 2) + "\n");
    return report;
  });
