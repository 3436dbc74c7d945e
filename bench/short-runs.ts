/**
 * Many short runs (a pipeline per request): map → filter → map → sum over 100 numbers, run again
 * and again, each run built afresh as a request handler builds it. What a run costs beyond its
 * items: planning, starting, stats, ending. A plain loop is the limit; RxJS, Effect Stream and
 * Node streams do the same per run.
 *
 *   node --import tsx bench/short-runs.ts
 *   npm run bench -- short-runs
 */
import { Readable, Transform, Writable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import { Effect, Stream } from "effect";
import { filter as rxFilter, from as rxFrom, map as rxMap } from "rxjs";
import { pipeline } from "../src/index.js";
import { contender, main, type Suite } from "./suite.js";

/** Items per run: a small request's worth. */
const PER_RUN = 100;

/** The runs' input: `size / PER_RUN` arrays of 0 … PER_RUN-1 (outside the timed section). */
function requests(size: number): number[][] {
  return Array.from({ length: Math.max(1, Math.floor(size / PER_RUN)) }, () =>
    Array.from({ length: PER_RUN }, (_, i) => i),
  );
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
      async run(runs: number[][]) {
        let sum = 0;
        for (const a of runs)
          await new Promise<void>((resolve, reject) =>
            rxFrom(a)
              .pipe(
                rxMap((x) => x * 2),
                rxFilter((x) => x % 3 !== 0),
                rxMap((x) => x + 1),
              )
              .subscribe({ next: (x) => (sum += x), error: reject, complete: resolve }),
          );
        return sum;
      },
    }),
    effect: contender({
      role: "peer",
      label: "Effect Stream, a stream per run",
      prepare: requests,
      async run(runs: number[][]) {
        let sum = 0;
        for (const a of runs)
          await Effect.runPromise(
            Stream.fromIterable(a).pipe(
              Stream.map((x) => x * 2),
              Stream.filter((x) => x % 3 !== 0),
              Stream.map((x) => x + 1),
              Stream.runForEachChunk((chunk) =>
                Effect.sync(() => {
                  for (const x of chunk) sum += x;
                }),
              ),
            ),
          );
        return sum;
      },
    }),
    "node-streams": contender({
      role: "peer",
      label: "Node streams, a stream.pipeline per run",
      prepare: requests,
      async run(runs: number[][]) {
        let sum = 0;
        for (const a of runs)
          await streamPipeline(
            Readable.from(a),
            new Transform({ objectMode: true, transform: (x: number, _, cb) => cb(null, x * 2) }),
            new Transform({ objectMode: true, transform: (x: number, _, cb) => (x % 3 !== 0 ? cb(null, x) : cb()) }),
            new Transform({ objectMode: true, transform: (x: number, _, cb) => cb(null, x + 1) }),
            new Writable({
              objectMode: true,
              write(x: number, _, cb) {
                sum += x;
                cb();
              },
            }),
          );
        return sum;
      },
    }),
    weir: contender({
      role: "weir",
      label: "weir, a pipeline built and run per run",
      prepare: requests,
      async run(runs: number[][]) {
        let sum = 0;
        for (const a of runs)
          await pipeline<number>("request")
            .from(a)
            .map((x) => x * 2)
            .filter((x) => x % 3 !== 0)
            .map((x) => x + 1)
            .to((x) => {
              sum += x;
            })
            .run();
        return sum;
      },
    }),
    "weir-async": contender({
      role: "reference",
      label: "weir, the same with an async first stage (concurrency 8)",
      prepare: requests,
      async run(runs: number[][]) {
        let sum = 0;
        for (const a of runs)
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
      },
    }),
  },
};

await main(short);
