import { handleGraph } from "./handleGraph.js";
import { pipeline } from "./pipeline.js";
import { engine } from "../load/engines.js";
import type { Run } from "../run/Run.js";

/**
 * weir's own small runs, kept for the life of the process so that the shapes (V8's hidden
 * classes) of a run's objects outlive every run: V8 drops a hidden class once no object of that
 * shape is alive, and with it the optimized code and the inline caches that relied on it. After a
 * full garbage collection that found every run finished, the next run would start from cold code
 * and run several times slower until it warmed up again (`bench/gc-between-runs.ts`).
 *
 * They run once, after the first run of the process settled: a few items each, through the
 * common step kinds (a generator and an array source, an async stage, a fused inline stage, a
 * batch, sinks), with weir's own functions (no user data is kept), holding nothing alive and
 * published to no `diagnostics_channel`. They keep about 170 KB of heap (their counters and
 * latency histograms, mostly).
 */
const kept: Run[] = [];
let started = false;

/** Starts the anchors once `first` (the first run of the process) has settled. */
export function keepShapesAfter(first: Promise<unknown>): void {
  if (started) return;
  started = true;
  const start = (): void => {
    try {
      for (const run of anchorRuns()) {
        run.catch(() => {});
        kept.push(run);
      }
    } catch {
      // an anchor is an optimization: nothing of it may fail a user's run
    }
  };
  first.then(start, start);
}

/** The anchors kept so far (for tests). */
export function keptShapes(): readonly Run[] {
  return kept;
}

function* two(): Generator<{ n: number }> {
  yield { n: 0 };
  yield { n: 1 };
}

const same = <T>(x: T): T => x;
const sameLater = async <T>(x: T): Promise<T> => x;
const drop = (): void => {};
const dropLater = async (): Promise<void> => {};

function anchorRuns(): Run[] {
  const streams = [
    pipeline<{ n: number }>("weir:shapes").from(two()).map(sameLater).map(same).to(dropLater),
    pipeline<{ n: number }>("weir:shapes")
      .from([{ n: 0 }, { n: 1 }])
      .map(sameLater, { concurrency: 2 })
      .batch({ size: 2 })
      .to(drop),
  ];
  return streams.map((stream) => {
    const graph = handleGraph(stream)!;
    const { PipelineRun, compilePlan } = engine("pipeline");
    return new PipelineRun(graph, compilePlan(graph), {}, {}, "weir");
  });
}
