/**
 * The cost of `run({ metrics })` on the async benchmark: 1,000,000 tiny async tasks at concurrency
 * 64 with metrics off (the reference, as "limit") and on (a prom-client registry, scraped once at
 * the end). The "× limit" column is the ratio on / off.
 *
 *   node --import tsx bench/metrics-async.ts
 */
import { Registry } from "prom-client";
import { pipeline, type RunOptions } from "../src/index.js";
import { metrics } from "../src/metrics.js";
import { contender, main, type Suite } from "./suite.js";

const concurrency = 64;
const task = async (x: number): Promise<number> => x + 1;

function* range(size: number): Generator<number> {
  for (let i = 0; i < size; i++) yield i;
}

async function weir(size: number, options: RunOptions): Promise<number> {
  const result = await pipeline<number>("a").from(range(size)).map(task, { concurrency }).run(options);
  return Object.values(result.stats).find((s) => s.kind === "map")?.out ?? -1;
}

export const metricsAsync: Suite = {
  name: "metrics-async",
  title: "Metrics off vs on: 1,000,000 tiny async tasks at concurrency 64",
  module: import.meta.url,
  metric: "throughput",
  work: "weir's async benchmark (ordered) with `run()` and with `run({ metrics: metrics(registry) })`, the registry scraped after the run",
  sizes: [1_000_000],
  warmups: 5,
  warmupSize: 100_000,
  runs: 5,
  contenders: {
    off: contender({
      role: "limit",
      label: "weir, metrics off",
      prepare: () => undefined,
      run: (_: undefined, size) => weir(size, {}),
    }),
    on: contender({
      role: "weir",
      label: "weir, metrics on (prom-client)",
      prepare: () => undefined,
      async run(_: undefined, size) {
        const registry = new Registry();
        const out = await weir(size, { metrics: metrics(registry) });
        if ((await registry.metrics()).length === 0) throw new Error("no metrics");
        return out;
      },
    }),
  },
};

await main(metricsAsync);
