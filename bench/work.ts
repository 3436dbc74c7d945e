/**
 * The inline suites' work, `x * 2` → keep `x % 3 !== 0` → `x + 1` → sum, as each library writes
 * it: one run over `source`, resolving to the sum. `bench/inline.ts` runs it once over 5,000,000
 * numbers, `bench/short-runs.ts` once per request of 100; `bench/metrics-inline.ts` and
 * `bench/metrics-ab.ts` run weir's with metrics off and on.
 */
import { Readable, Transform, Writable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import { Effect, Stream } from "effect";
import { filter as rxFilter, from as rxFrom, map as rxMap } from "rxjs";
import { pipeline, type Sink } from "../src/index.js";

/** weir's pipeline from `source`, and a reader of the sum its sink adds up (run it, then read). */
export function weirWork(source: Iterable<number>): { sink: Sink; sum: () => number } {
  let sum = 0;
  const sink = pipeline<number>("b")
    .from(source)
    .map((x) => x * 2)
    .filter((x) => x % 3 !== 0)
    .map((x) => x + 1)
    .to((x) => {
      sum += x;
    });
  return { sink, sum: () => sum };
}

/** RxJS: an Observable of the array. */
export function rxjsWork(source: readonly number[]): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let sum = 0;
    rxFrom(source)
      .pipe(
        rxMap((x) => x * 2),
        rxFilter((x) => x % 3 !== 0),
        rxMap((x) => x + 1),
      )
      .subscribe({ next: (x) => (sum += x), error: reject, complete: () => resolve(sum) });
  });
}

/**
 * Effect Stream. The sink takes a chunk at a time: the fastest of runFold / runSum / runForEach /
 * runForEachChunk here (18.1 / 18.8 / 8.4 / 20.8 M/s), so Effect gets its best showing.
 */
export async function effectWork(source: Iterable<number>): Promise<number> {
  let sum = 0;
  await Effect.runPromise(
    Stream.fromIterable(source).pipe(
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
}

/** Node streams in object mode, joined by `stream.pipeline`. */
export async function streamsWork(source: Iterable<number>): Promise<number> {
  let sum = 0;
  await streamPipeline(
    Readable.from(source),
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
}
