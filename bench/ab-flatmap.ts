/**
 * Before/after in one process, for a change to the fused loop or the stage runner's flatMap path:
 * non-durable `map → filter → map` over 1,000,000 numbers (fused), a fused `flatMap` (3 children
 * per item) over 300,000, an async `flatMap` (concurrency 8) over 100,000, and a durable run's fused
 * `flatMap` over 100,000 into a sink that reads `ctx.key` (a memory store), run by this
 * checkout and by another one (`--before <path>`), in rotated order; prints each median and the
 * ratio. On a machine too busy for absolute figures, the ratio is what to read.
 *
 *   node --import tsx bench/ab-flatmap.ts --before ../main [--rounds 7] [--cases fusedFlatMap,inline]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { pipeline as pipelineType } from "../src/pipeline/pipeline.js";
import type { memoryStore as memoryStoreType } from "../src/store/memoryStore.js";

const { values } = parseArgs({
  options: { before: { type: "string" }, rounds: { type: "string" }, cases: { type: "string" } },
});
if (values.before === undefined) throw new Error("--before <path of the other checkout> is required");
const trees = { before: resolve(values.before), after: resolve(new URL("..", import.meta.url).pathname) };
const rounds = Number(values.rounds ?? 7);

type Case = "inline" | "fusedFlatMap" | "asyncFlatMap" | "durableFlatMap";
const allSizes: Record<Case, number> = {
  inline: 1_000_000,
  fusedFlatMap: 300_000,
  asyncFlatMap: 100_000,
  durableFlatMap: 100_000,
};
/** `--cases a,b`: only those (each case warms up, and so trains, the code the others share). */
const only = values.cases?.split(",");
const sizes = Object.fromEntries(
  Object.entries(allSizes).filter(([c]) => only === undefined || only.includes(c)),
) as Record<Case, number>;
type Side = Record<Case, (n: number) => Promise<number>>;

async function side(root: string): Promise<Side> {
  const { pipeline } = (await import(`${root}/src/pipeline/pipeline.ts`)) as { pipeline: typeof pipelineType };
  const { memoryStore } = (await import(`${root}/src/store/memoryStore.ts`)) as {
    memoryStore: typeof memoryStoreType;
  };
  const numbers = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
  const s: Side = {
    async inline(n) {
      let sum = 0;
      await pipeline<number>("ab")
        .from(numbers(n))
        .map((x: number) => x * 2)
        .filter((x: number) => x % 3 !== 0)
        .map((x: number) => x + 1)
        .to((x: number) => void (sum += x))
        .run();
      return sum;
    },
    async fusedFlatMap(n) {
      let sum = 0;
      await pipeline<number>("ab")
        .from(numbers(n))
        .flatMap((x: number) => [x, x + 1, x + 2])
        .to((x: number) => void (sum += x))
        .run();
      return sum;
    },
    async asyncFlatMap(n) {
      let sum = 0;
      await pipeline<number>("ab")
        .from(numbers(n))
        .flatMap(async (x: number) => [x, x + 1, x + 2], { concurrency: 8 })
        .to((x: number) => void (sum += x))
        .run();
      return sum;
    },
    // a durable run (memory store): children get keys of their own after this change, read by the sink
    async durableFlatMap(n) {
      let sum = 0;
      await pipeline<number>("ab")
        .from(numbers(n))
        .flatMap((x: number) => [x, x + 1, x + 2])
        .to((x: number, ctx) => void (sum += ctx.key === undefined ? 0 : x))
        .run({ store: memoryStore() });
      return sum;
    },
  };
  for (const c of Object.keys(sizes) as Case[]) for (let w = 0; w < 5; w++) await s[c](sizes[c] / 10); // warm-up
  return s;
}

const sides = { before: await side(trees.before), after: await side(trees.after) };
for (const c of Object.keys(sizes) as Case[]) {
  const n = sizes[c];
  const times: Record<"before" | "after", number[]> = { before: [], after: [] };
  const sums = new Set<number>();
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
    for (const k of order) {
      const t = performance.now();
      sums.add(await sides[k][c](n));
      times[k].push(performance.now() - t);
    }
  }
  if (sums.size !== 1) throw new Error(`${c}: the checkouts disagree (${[...sums].join(", ")})`);
  const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
  const rate = (k: "before" | "after"): number => n / median(times[k]) / 1e3;
  console.log(
    `${c.padEnd(13)} before ${rate("before").toFixed(2)} M/s  after ${rate("after").toFixed(2)} M/s  ` +
      `after/before ${(rate("after") / rate("before")).toFixed(3)}`,
  );
}
