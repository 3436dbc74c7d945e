/**
 * 1,000,000 tiny async tasks (`async x => x + 1`) at concurrency 64: a raw sliding window of 64
 * promises (the limit), p-limit, p-queue, p-map, Effect.forEach and weir (ordered, and unordered).
 * Each task's input comes from a generator; each contender counts the results it got back.
 *
 *   node --import tsx bench/async.ts           # this suite only
 *   npm run bench -- async
 */
import { Effect } from "effect";
import pLimit from "p-limit";
import pMap from "p-map";
import PQueue from "p-queue";
import { pipeline, type StageStats } from "../src/index.js";
import { contender, main, type Suite } from "./suite.js";

const concurrency = 64;

/** The task: as small as an async function gets. */
const task = async (x: number): Promise<number> => x + 1;

function* range(size: number): Generator<number> {
  for (let i = 0; i < size; i++) yield i;
}

const noInput = (): undefined => undefined;

/** Items out of the pipeline's map stage (weir names it after the function: "task"). */
function mapOut(stats: Readonly<Record<string, StageStats>>): number {
  return Object.values(stats).find((s) => s.kind === "map")?.out ?? -1;
}

export const asyncTasks: Suite = {
  name: "async",
  title: "1,000,000 tiny async tasks at concurrency 64",
  module: import.meta.url,
  metric: "throughput",
  work: "`async x => x + 1` over a generator of 0…999,999 at concurrency 64; the checksum is the count of results",
  sizes: [1_000_000],
  warmups: 5,
  warmupSize: 100_000,
  runs: 3,
  contenders: {
    window: contender({
      role: "limit",
      label: "raw sliding window of 64 promises",
      prepare: noInput,
      async run(_: undefined, size) {
        const it = range(size);
        let done = 0;
        const lane = async (): Promise<void> => {
          for (let n = it.next(); n.done !== true; n = it.next()) {
            await task(n.value);
            done++;
          }
        };
        await Promise.all(Array.from({ length: concurrency }, lane));
        return done;
      },
    }),
    "p-limit": contender({
      role: "peer",
      label: "p-limit (every task queued up front)",
      prepare: noInput,
      async run(_: undefined, size) {
        const limit = pLimit(concurrency);
        const results = await Promise.all(Array.from(range(size), (x) => limit(() => task(x))));
        return results.length;
      },
    }),
    "p-queue": contender({
      role: "peer",
      label: "p-queue (every task queued up front)",
      prepare: noInput,
      async run(_: undefined, size) {
        const queue = new PQueue({ concurrency });
        const results = await Promise.all(Array.from(range(size), (x) => queue.add(() => task(x))));
        return results.length;
      },
    }),
    "p-map": contender({
      role: "peer",
      label: "p-map",
      prepare: noInput,
      async run(_: undefined, size) {
        const results = await pMap(range(size), task, { concurrency });
        return results.length;
      },
    }),
    effect: contender({
      role: "peer",
      label: "Effect.forEach({ concurrency: 64 })",
      prepare: noInput,
      async run(_: undefined, size) {
        const results = await Effect.runPromise(
          Effect.forEach(range(size), (x) => Effect.promise(() => task(x)), { concurrency }),
        );
        return results.length;
      },
    }),
    weir: contender({
      role: "weir",
      label: "weir (ordered, the default)",
      prepare: noInput,
      async run(_: undefined, size) {
        const result = await pipeline<number>("a").from(range(size)).map(task, { concurrency }).run();
        return mapOut(result.stats);
      },
    }),
    "weir-unordered": contender({
      role: "weir",
      label: "weir (ordered: false)",
      prepare: noInput,
      async run(_: undefined, size) {
        const result = await pipeline<number>("a").from(range(size)).map(task, { concurrency, ordered: false }).run();
        return mapOut(result.stats);
      },
    }),
  },
};

await main(asyncTasks);
