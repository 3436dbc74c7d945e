/**
 * The cost of `run({ metrics })` on the inline benchmark: weir's fused map → filter → map → sum
 * over 5,000,000 numbers with metrics off (the reference, as "limit") and on (a prom-client
 * registry, scraped once at the end). The "× limit" column is the ratio on / off.
 *
 *   node --import tsx bench/metrics-inline.ts
 */
import { Registry } from "prom-client";
import type { RunOptions } from "../src/index.js";
import { metrics } from "../src/metrics.js";
import { weirWork } from "./work.js";
import { contender, main, type Suite } from "./suite.js";

function numbers(size: number): number[] {
  const a = new Array<number>(size);
  for (let i = 0; i < size; i++) a[i] = i;
  return a;
}

async function weir(a: number[], options: RunOptions): Promise<number> {
  const { sink, sum } = weirWork(a);
  await sink.run(options);
  return sum();
}

export const metricsInline: Suite = {
  name: "metrics-inline",
  title: "Metrics off vs on: inline map/filter/map, 5,000,000 numbers",
  module: import.meta.url,
  metric: "throughput",
  work: "weir's inline benchmark (array source) with `run()` and with `run({ metrics: metrics(registry) })`, the registry scraped after the run",
  sizes: [5_000_000],
  warmups: 5,
  warmupSize: 500_000,
  runs: 5,
  contenders: {
    off: contender({
      role: "limit",
      label: "weir, metrics off",
      prepare: numbers,
      run: (a: number[]) => weir(a, {}),
    }),
    on: contender({
      role: "weir",
      label: "weir, metrics on (prom-client)",
      prepare: numbers,
      async run(a: number[]) {
        const registry = new Registry();
        const sum = await weir(a, { metrics: metrics(registry) });
        if ((await registry.metrics()).length === 0) throw new Error("no metrics");
        return sum;
      },
    }),
  },
};

await main(metricsInline);
