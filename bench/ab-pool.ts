/**
 * Before/after in one process: `pipeline().map(worker())` over 200,000 tiny items (x => x + 1),
 * 2 threads, warm pools, run by this checkout and by another one (`--before <path>`, e.g. a
 * worktree of main), in rotated order; prints each median and the ratio. For a change to the
 * stage runner or the pool executor, on a machine too busy for absolute figures.
 *
 *   node --import tsx bench/ab-pool.ts --before ../main [--rounds 5]
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import type { createExecutor as createExecutorType } from "../src/executor/pool/stage/createExecutor.js";
import type { worker as workerType } from "../src/executor/pool/stage/worker.js";
import type { pipeline as pipelineType } from "../src/pipeline/pipeline.js";

const { values } = parseArgs({ options: { before: { type: "string" }, rounds: { type: "string" } } });
if (values.before === undefined) throw new Error("--before <path of the other checkout> is required");
const trees = { before: resolve(values.before), after: resolve(new URL("..", import.meta.url).pathname) };
const N = 200_000;
const rounds = Number(values.rounds ?? 5);
const moduleUrl = new URL("../test/fixtures/workers/bench.mjs", import.meta.url);

interface Side {
  run(n: number): Promise<void>;
  close(): Promise<void>;
}

async function side(root: string): Promise<Side> {
  const { pipeline } = (await import(`${root}/src/pipeline/pipeline.ts`)) as { pipeline: typeof pipelineType };
  const { worker } = (await import(`${root}/src/executor/pool/stage/worker.ts`)) as { worker: typeof workerType };
  const { createExecutor } = (await import(`${root}/src/executor/pool/stage/createExecutor.ts`)) as {
    createExecutor: typeof createExecutorType;
  };
  const stage = (): ReturnType<typeof workerType<number, number>> =>
    worker<number, number>(moduleUrl, "inc", { maxWorkers: 2, minWorkers: 2 });
  const keeper = createExecutor(stage(), "keeper");
  const run = async (n: number): Promise<void> => {
    function* range(): Generator<number> {
      for (let i = 0; i < n; i++) yield i;
    }
    const r = await pipeline<number>("bench").from(range()).map(stage(), { name: "w", concurrency: 2 }).run();
    if (r.stats.w!.out !== n) throw new Error(`${root}: ${r.stats.w!.out} of ${n} items`);
  };
  await run(50_000); // warm-up
  return { run, close: () => keeper.close() };
}

const sides = { before: await side(trees.before), after: await side(trees.after) };
const times: Record<"before" | "after", number[]> = { before: [], after: [] };
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
  for (const k of order) {
    const t = performance.now();
    await sides[k].run(N);
    times[k].push(performance.now() - t);
  }
}
const median = (a: readonly number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)]!;
for (const k of ["before", "after"] as const) {
  const ms = times[k].map((t) => t.toFixed(0)).join(" ");
  console.log(`${k.padEnd(6)} ${(N / median(times[k]) / 1e3).toFixed(2)} M items/s (ms: ${ms}) ${trees[k]}`);
}
console.log(`after / before: ${(median(times.before) / median(times.after)).toFixed(3)}× (median of ${rounds})`);
await sides.before.close();
await sides.after.close();
