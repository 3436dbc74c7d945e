/**
 * Peak RSS with a slow sink: 5,000,000 objects (`{ id, payload: "x".repeat(32) }`, generated
 * lazily) into an async sink that yields to the event loop (`setImmediate`) every 1,000 items; weir
 * against stream.pipeline (Readable.from(generator) → Writable), and again at 500,000 to show that
 * peak RSS does not grow with the input.
 *
 *   node --import tsx bench/memory.ts          # this suite only
 *   npm run bench -- memory
 *
 * This module imports only weir (and its latency histogram, for a reference row) and node:stream,
 * so that the process's baseline is the same for every row; the harness runs it as an esbuild
 * bundle under plain node (`--loader tsx` to compare).
 */
import { Readable, Writable } from "node:stream";
import { pipeline as streamPipeline } from "node:stream/promises";
import { pipeline } from "../src/index.js";
import { LatencyHistogram } from "../src/stats/LatencyHistogram.js";
import { contender, main, type AnyContender, type Suite } from "./suite.js";

interface Row {
  readonly id: number;
  readonly payload: string;
}

function* rows(size: number): Generator<Row> {
  for (let i = 0; i < size; i++) yield { id: i, payload: "x".repeat(32) };
}

/** The slow part of the sink: a turn of the event loop every `every` items. */
const every = 1000;
const immediate = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const noInput = (): undefined => undefined;

/**
 * A sink that sums ids (the checksum) and yields every 1,000 items, written three ways: `write`
 * is `async` (a promise per item), `whenYielding` returns a promise only when it yields (not
 * awaited otherwise: the sync-return fast path), `promising` is a plain function that returns a
 * promise for every item (as `row => db.write(row)` does; fused with the source).
 */
function slowSink(): {
  write: (row: Row) => Promise<void>;
  whenYielding: (row: Row) => Promise<void> | undefined;
  promising: (row: Row) => Promise<void>;
  sum: () => number;
} {
  let count = 0;
  let sum = 0;
  /** Adds the row; true when this one yields. */
  const add = (row: Row): boolean => {
    sum += row.id + row.payload.length;
    return ++count % every === 0;
  };
  return {
    async write(row: Row): Promise<void> {
      if (add(row)) await immediate();
    },
    whenYielding: (row) => (add(row) ? immediate() : undefined),
    promising: (row) => (add(row) ? immediate() : Promise.resolve()),
    sum: () => sum,
  };
}

/**
 * A reference row: a `for…of` over the same generator awaiting the `async` sink row by row, with
 * no engine. `timed`: each row's time is also read from the clock and recorded in a
 * {@link LatencyHistogram}, the per-item latency a weir stage keeps (at concurrency 1 one clock
 * read per row: a row ends when the next begins). What an `async` sink costs at the least, with
 * and without per-item stats.
 */
function awaitLoop(label: string, timed: boolean): AnyContender {
  return contender({
    role: "reference",
    label,
    prepare: noInput,
    async run(_: undefined, size) {
      const sink = slowSink();
      const write = sink.write;
      if (!timed) {
        for (const row of rows(size)) await write(row);
        return sink.sum();
      }
      const latency = new LatencyHistogram();
      let start = performance.now();
      for (const row of rows(size)) {
        await write(row);
        const end = performance.now();
        latency.record(end - start);
        start = end;
      }
      return latency.count === size ? sink.sum() : -1;
    },
  });
}

/** A weir row: the rows into the sink `pick` chooses of a fresh {@link slowSink}, at `concurrency`. */
function weirInto(
  label: string,
  pick: (sink: ReturnType<typeof slowSink>) => (row: Row) => Promise<void> | undefined,
  concurrency = 1,
): AnyContender {
  return contender({
    role: "weir",
    label,
    prepare: noInput,
    async run(_: undefined, size) {
      const sink = slowSink();
      await pipeline<Row>("m").from(rows(size)).to(pick(sink), { concurrency }).run();
      return sink.sum();
    },
  });
}

export const memory: Suite = {
  name: "memory",
  title: "Peak RSS, slow sink, 500,000 and 5,000,000 objects",
  module: import.meta.url,
  metric: "rss",
  work:
    '`{ id: i, payload: "x".repeat(32) }` from a generator into a sink that awaits `setImmediate` every 1,000 items; ' +
    "peak RSS is the child's `process.resourceUsage().maxRSS` (the process's baseline included: see the \"before\" column)",
  sizes: [500_000, 5_000_000],
  warmups: 3,
  warmupSize: 50_000,
  runs: 3,
  // Plain node on a bundle: under tsx every row carries ~30 MB of loader (see README).
  loader: "bundle",
  contenders: {
    streams: contender({
      role: "peer",
      label: "stream.pipeline: Readable.from(generator) → Writable (highWaterMark 16)",
      prepare: noInput,
      async run(_: undefined, size) {
        let count = 0;
        let sum = 0;
        await streamPipeline(
          Readable.from(rows(size)),
          new Writable({
            objectMode: true,
            highWaterMark: 16,
            write(row: Row, _, cb) {
              sum += row.id + row.payload.length;
              if (++count % every === 0) setImmediate(cb);
              else cb();
            },
          }),
        );
        return sum;
      },
    }),
    weir: weirInto("weir: from(generator).to(async sink)", (sink) => sink.write),
    "weir-sync": weirInto(
      "weir: from(generator).to(sink returning a promise only when it yields)",
      (sink) => sink.whenYielding,
    ),
    "weir-promise": weirInto(
      "weir: from(generator).to(sink returning a promise for every item, not async)",
      (sink) => sink.promising,
    ),
    "loop-await": awaitLoop("for…of awaiting the async sink per row, no stats", false),
    "loop-await-clock": awaitLoop(
      "for…of awaiting the async sink per row, a clock read and a latency record per row",
      true,
    ),
    "weir-c4": weirInto("weir: from(generator).to(async sink, { concurrency: 4 })", (sink) => sink.write, 4),
  },
};

await main(memory);
