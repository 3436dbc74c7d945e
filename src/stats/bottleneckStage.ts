import type { StageStats } from "./StageStats.js";

/** A stage back-pressured for this share of the run or more waits on a stage below: not the bottleneck. */
export const BACK_PRESSURE_SHARE = 0.1;

/**
 * The stage that limits a run's throughput, as Flink and Minigun tell it: the busiest stage (the
 * highest busy share) among those not held back by the stages below them (back-pressured for less
 * than {@link BACK_PRESSURE_SHARE} of `elapsedMs`). A stage upstream of the bottleneck fills its
 * queue and waits for room, so it is left out even when it looks busy. Undefined when no stage was
 * busy or no time passed. Ties go to the stage further down the plan.
 */
export function bottleneckStage(stages: readonly StageStats[], elapsedMs: number): string | undefined {
  if (!(elapsedMs > 0)) return undefined;
  let best: StageStats | undefined;
  for (const s of stages) {
    if (s.busyMs <= 0 || s.backPressuredMs >= BACK_PRESSURE_SHARE * elapsedMs) continue;
    if (best === undefined || s.busyMs >= best.busyMs) best = s;
  }
  return best?.name;
}
