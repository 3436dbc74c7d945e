/**
 * Many short runs (a pipeline per request): map → filter → map → sum over 100 numbers, run again
 * and again, each run built afresh as a request handler builds it. What a run costs beyond its
 * items: planning, starting, stats, ending. A plain loop is the limit; RxJS, Effect Stream and
 * Node streams do the same per run.
 *
 *   node --import tsx bench/short-runs.ts
 *   npm run bench -- short-runs
 */
import { pipeline } from "../src/index.js";
import { contender, main, type Suite } from "./suite.js";
import { effectWork, rxjsWork, streamsWork, weirWork } from "./work.js";

/** Items per run: a small request's worth. */
const PER_RUN = 100;

/** The runs' input: `size / PER_RUN` arrays of 0 … PER_RUN-1 (outside the timed section). */
function requests(size: number): number[][] {
  return Array.from({ length: Math.max(1, Math.floor(size / PER_RUN)) }, () =>
    Array.from({ length: PER_RUN }, (_, i) => i),
  );
}

/** Runs `work` once per request, one after the other (as requests that come one at a time); the sum of their sums. */
async function perRun(runs: readonly number[][], work: (a: number[]) => Promise<number>): Promise<number> {
  let sum = 0;
  for (const a of runs) sum += await work(a);
  return sum;
}

export const short: Suite = {
  name: "short-runs",
  title: `Many short runs, ${PER_RUN} numbers each`,
  module: import.meta.url,
  metric: "throughput",
  work: `one run per ${PER_RUN} numbers, built afresh each time: \`x * 2\` → keep \`x % 3 !== 0\` → \`x + 1\` → sum (the checksum: the sum over every run)`,
  sizes: [100_000],
  warmups: 5,
  warmupSize: 100_000,
  runs: 3,
  // plain node: what runs is what a user's bundle runs (tsx would add its helpers to every function)
  loader: "bundle",
  contenders: {
    loop: contender({
      role: "limit",
      label: "for loop per run",
      prepare: requests,
      run(runs: number[][]) {
        let sum = 0;
        for (const a of runs)
          for (const v of a) {
            const x = v * 2;
            if (x % 3 === 0) continue;
            sum += x + 1;
          }
        return sum;
      },
    }),
    rxjs: contender({
      role: "peer",
      label: "RxJS, an Observable per run",
      prepare: requests,
      run: (runs: number[][]) => perRun(runs, rxjsWork),
    }),
    effect: contender({
      role: "peer",
      label: "Effect Stream, a stream per run",
      prepare: requests,
      run: (runs: number[][]) => perRun(runs, effectWork),
    }),
    "node-streams": contender({
      role: "peer",
      label: "Node streams, a stream.pipeline per run",
      prepare: requests,
      run: (runs: number[][]) => perRun(runs, streamsWork),
    }),
    weir: contender({
      role: "weir",
      label: "weir, a pipeline built and run per run",
      prepare: requests,
      run: (runs: number[][]) =>
        perRun(runs, async (a) => {
          const { sink, sum } = weirWork(a);
          await sink.run();
          return sum();
        }),
    }),
    "weir-async": contender({
      role: "reference",
      label: "weir, the same with an async first stage (concurrency 8)",
      prepare: requests,
      run: (runs: number[][]) =>
        perRun(runs, async (a) => {
          let sum = 0;
          await pipeline<number>("request")
            .from(a)
            .map(async (x) => x * 2, { concurrency: 8 })
            .filter((x) => x % 3 !== 0)
            .map((x) => x + 1)
            .to((x) => {
              sum += x;
            })
            .run();
          return sum;
        }),
    }),
  },
};

await main(short);
