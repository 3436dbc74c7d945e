/**
 * The full-size kill drill of issue 11: a real child Node process runs a durable pipeline (async,
 * worker-thread and batch stages) into a SQLite sink keyed on ctx.key and a non-idempotent
 * counting sink; it is SIGKILLed at random points of its progress `--kills` times, then resumed to the end. Prints
 * what the sinks hold. (test/durable/kill-drill.test.ts runs a smaller one.)
 *
 *   node --import tsx bench/kill-drill.ts [--total 200000] [--kills 20]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { killDrill } from "../test/durable/killDrill.js";

const { values } = parseArgs({
  options: {
    total: { type: "string", default: "200000" },
    kills: { type: "string", default: "20" },
  },
});
const dir = mkdtempSync(join(tmpdir(), "weir-kill-drill-"));
try {
  const report = await killDrill({
    dir,
    total: Number(values.total),
    kills: Number(values.kills),
  });
  console.log(JSON.stringify(report, null, 2));
  const ok = report.missing === 0 && report.wrong === 0 && report.rows === report.total;
  console.log(ok ? "OK: the sink holds exactly the expected rows" : "FAILED");
  process.exitCode = ok ? 0 : 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
