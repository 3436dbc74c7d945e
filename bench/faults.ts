/**
 * Memory under the fault drills of issue 9: what a run retains when it is read through `stream()`
 * for a long time, when every item is dead-lettered, and when a flatMap expands one item into very
 * many. Each drill runs in a fresh child process (`node --expose-gc --import tsx`) and prints the
 * heap after a GC at an early and a late point, the peak RSS, and what bounds the drill checks.
 *
 *   node --import tsx bench/faults.ts                  # every drill, full size (a few minutes)
 *   node --import tsx bench/faults.ts stream 1000000   # one drill, a smaller size
 *
 * Drills: `stream` (10,000,000 items read through stream({ capacity: 1 }): a wait on nearly every
 * item), `dead-letters` (1,000,000 items, every one dead-lettered), `flatmap` (one item expanded by
 * an async generator into 200,000, into a slow sink: how far the generator runs ahead).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { pipeline } from "../src/index.js";

type Drill = (size: number) => Promise<Record<string, number>>;

const gc = (globalThis as { gc?: () => void }).gc;
const heapNow = (): number => {
  gc!();
  return process.memoryUsage().heapUsed;
};

const drills: Record<string, { size: number; run: Drill }> = {
  stream: {
    size: 10_000_000,
    async run(size) {
      const early = Math.floor(size / 10);
      const late = size - early;
      let heapEarly = 0;
      let heapLate = 0;
      let read = 0;
      const t0 = performance.now();
      for await (const x of pipeline<number>("stream")
        .from(function* () {
          for (let i = 0; i < size; i++) yield i;
        })
        .map(async (x) => x, { concurrency: 1 })
        .stream({ capacity: 1 })) {
        if (x !== read) throw new Error(`item ${read} came as ${x}`);
        if (++read === early) heapEarly = heapNow();
        else if (read === late) heapLate = heapNow();
      }
      const seconds = (performance.now() - t0) / 1000;
      return {
        items: read,
        "heap after GC at 10% read, MB": heapEarly / 1e6,
        "heap after GC at 90% read, MB": heapLate / 1e6,
        "items/s (GCs included)": read / seconds,
      };
    },
  },
  "dead-letters": {
    size: 1_000_000,
    async run(size) {
      const early = Math.floor(size / 10);
      let heapEarly = 0;
      const late = size - early;
      let heapLate = 0;
      let failed = 0;
      const run = pipeline<number>("dead-letters")
        .from(function* () {
          for (let i = 0; i < size; i++) yield i;
        })
        .map(
          (x) => {
            throw new Error(`row ${x} is malformed`);
          },
          { onError: "dead-letter", context: "async", concurrency: 4 },
        )
        .run();
      run.on("stage:dead-letter", () => {
        if (++failed === early) heapEarly = heapNow();
        else if (failed === late) heapLate = heapNow();
      });
      const r = await run;
      return {
        "dead-lettered": failed,
        "kept in result.deadLetters": r.deadLetters.length,
        "result.deadLettersDropped": r.deadLettersDropped,
        "heap after GC at 10%, MB": heapEarly / 1e6,
        "heap after GC at 90%, MB": heapLate / 1e6,
      };
    },
  },
  flatmap: {
    size: 200_000,
    async run(size) {
      const out: Record<string, number> = {};
      for (const where of ["async", "fused"] as const) {
        let produced = 0;
        let consumed = 0;
        let lead = 0;
        let first = -1;
        async function* expand(): AsyncGenerator<number> {
          for (let i = 0; i < size; i++) {
            produced++;
            yield i;
          }
        }
        const p = pipeline("flatmap").from([0]);
        await (where === "fused" ? p.flatMap(() => expand()) : p.flatMap(async () => expand()))
          .to(async () => {
            consumed++;
            if (first < 0) first = produced;
            if (produced - consumed > lead) lead = produced - consumed;
            if (consumed % 256 === 0) await new Promise((r) => setTimeout(r, 0));
          })
          .run();
        out[`${where}: produced before the first reached the sink`] = first;
        out[`${where}: most produced ahead of the sink`] = lead;
      }
      return out;
    },
  },
};

const [name, sizeArg] = process.argv.slice(2);
if (name !== undefined && gc !== undefined) {
  // a child: run one drill, print one JSON line
  const drill = drills[name];
  if (drill === undefined) throw new Error(`no drill "${name}" (${Object.keys(drills).join(", ")})`);
  const result = await drill.run(Number(sizeArg ?? drill.size));
  console.log(
    JSON.stringify({ ...result, "peak RSS, MB (tsx loader included)": (process.resourceUsage().maxRSS * 1024) / 1e6 }),
  );
} else {
  // the parent: each drill (or the one named) in a fresh process
  const root = fileURLToPath(new URL("..", import.meta.url));
  console.log(`Node ${process.version}, ${process.platform}/${process.arch}\n`);
  for (const [drillName, drill] of Object.entries(drills)) {
    if (name !== undefined && name !== drillName) continue;
    const size = Number(sizeArg ?? drill.size);
    process.stderr.write(`${drillName} (${size.toLocaleString("en")})…\n`);
    const r = spawnSync(
      process.execPath,
      ["--expose-gc", "--import", "tsx", "bench/faults.ts", drillName, String(size)],
      { cwd: root, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`${drillName} failed: ${r.stderr}`);
    const result = JSON.parse(r.stdout) as Record<string, number>;
    console.log(`### ${drillName}, ${size.toLocaleString("en")}\n\n| measure | value |\n|---|---:|`);
    for (const [k, v] of Object.entries(result))
      console.log(`| ${k} | ${Number.isInteger(v) ? v.toLocaleString("en") : v.toFixed(1)} |`);
    console.log("");
  }
}
