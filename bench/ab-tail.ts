/**
 * Before/after in one process for a fused tail that hands its output on (the source's step runs
 * map/filter and pushes into the channel of the stage below): this checkout against another copy
 * of weir (`--before <path>`: a folder holding a `src/`, e.g. `cp -r src /tmp/base-src/`), rounds
 * rotated, medians and the ratio. Point `--before` at a second copy of this same `src/` to see the
 * spread of identical code.
 *
 *   node --import tsx bench/ab-tail.ts --before /tmp/base-src [--rounds 9]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { pipeline as pipelineType } from "../src/pipeline/pipeline.js";

const { values } = parseArgs({ options: { before: { type: "string" }, rounds: { type: "string" } } });
if (values.before === undefined) throw new Error("--before <path of the other copy> is required");
const rounds = Number(values.rounds ?? 9);
const WARM_UP = 2;

type Pipeline = typeof pipelineType;
const load = async (root: string): Promise<Pipeline> =>
  ((await import(`${root}/src/pipeline/pipeline.ts`)) as { pipeline: Pipeline }).pipeline;
const roots = { before: resolve(values.before), after: resolve(new URL("..", import.meta.url).pathname) };
const sides = { before: await load(roots.before), after: await load(roots.after) };

const numbers = Array.from({ length: 2_000_000 }, (_, i) => i);
function* range(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

/** Each row: a pipeline whose source step has a fused tail feeding a stage below; returns a checksum. */
const rows: Record<string, { n: number; run: (p: Pipeline) => Promise<number> }> = {
  "array → map/filter → batch(1000) → sink": {
    n: numbers.length,
    run: async (p) => {
      let sum = 0;
      await p<number>("tail-batch")
        .from(numbers)
        .map((x) => x * 2)
        .filter((x) => x % 3 !== 0)
        .batch({ size: 1000 })
        .to((b) => {
          sum += b.length;
        })
        .run();
      return sum;
    },
  },
  "generator → map to objects → async stage (concurrency 8) → sink": {
    n: 500_000,
    run: async (p) => {
      let sum = 0;
      await p<number>("tail-async")
        .from(range(500_000))
        .map((x) => ({ id: x }))
        .map(async (o) => o.id, { concurrency: 8 })
        .to((x) => {
          sum += x;
        })
        .run();
      return sum;
    },
  },
};

const times: Record<string, number[]> = {};
for (let r = 0; r < rounds + WARM_UP; r++) {
  const order = r % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
  for (const [name, row] of Object.entries(rows))
    for (const side of order) {
      const t = performance.now();
      await row.run(sides[side]);
      const ms = performance.now() - t;
      if (r >= WARM_UP) (times[`${name}|${side}`] ??= []).push(ms);
    }
  console.error(`round ${r + 1}/${rounds + WARM_UP}`);
}
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
console.log("| row | before M/s | after M/s | after / before |");
console.log("|---|---:|---:|---:|");
for (const [name, row] of Object.entries(rows)) {
  const b = median(times[`${name}|before`]!);
  const a = median(times[`${name}|after`]!);
  console.log(
    `| ${name} | ${(row.n / b / 1e3).toFixed(2)} | ${(row.n / a / 1e3).toFixed(2)} | ${(b / a).toFixed(3)}× |`,
  );
}
console.log(`median of ${rounds} rounds after ${WARM_UP} warm-up rounds, rotated; before: ${roots.before}`);
