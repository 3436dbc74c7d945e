import type { PipelineReading } from "../stats/MetricsSink.js";
import { families as f } from "./families.js";
import type { Frame } from "./Frame.js";

/**
 * Adds a pipeline run's reading to `frame`. Stages that run nowhere of their own (the source, a
 * merge) still report their counts; timings, queues and pools only where the stage has them.
 *
 * @param bounds histogram bounds, seconds (ascending)
 */
export function readPipeline(
  frame: Frame,
  pipeline: string,
  reading: PipelineReading,
  bounds: readonly number[],
): void {
  const boundsMs = bounds.map((b) => b * 1000);
  const elapsedS = reading.elapsedMs / 1000;
  frame.add(f.mainLoopDelay, {}, reading.mainLoopDelayMs / 1000);
  const latency = reading.itemLatency;
  if (latency !== undefined)
    frame.addHistogram(f.itemLatency, { pipeline }, latency.cumulative(boundsMs), latency.sumMs / 1000, latency.count);
  const checkpoint = reading.checkpoint;
  if (checkpoint !== undefined) {
    const { commits } = checkpoint;
    frame.addHistogram(
      f.checkpointDuration,
      { pipeline },
      commits.cumulative(boundsMs),
      commits.sumMs / 1000,
      commits.count,
    );
    if (checkpoint.lagItems !== undefined) frame.add(f.checkpointLag, { pipeline }, checkpoint.lagItems);
    frame.add(f.checkpointAge, { pipeline }, checkpoint.ageMs / 1000);
    for (const [stage, n] of checkpoint.deadLetters) frame.add(f.deadLettersStored, { pipeline, stage }, n);
  }
  for (const { stats: s, failures, queueCapacity, durations, pool } of reading.stages) {
    const labels = { pipeline, stage: s.name, context: s.context };
    frame.add(f.received, labels, s.in);
    frame.add(f.emitted, labels, s.out);
    for (const [code, n] of failures) frame.add(f.failed, { ...labels, code }, n);
    frame.add(f.retried, labels, s.retries);
    frame.add(f.deadLettered, labels, s.deadLettered);
    frame.add(f.dropped, { ...labels, reason: "overflow" }, s.dropped);
    frame.add(f.dropped, { ...labels, reason: "skipped" }, s.skipped);
    frame.add(f.admissionWaits, labels, s.waits);
    const busyS = s.busyMs / 1000;
    const blockedS = s.backPressuredMs / 1000;
    frame.add(f.busy, labels, busyS);
    frame.add(f.backPressured, labels, blockedS);
    frame.add(f.idle, labels, Math.max(0, elapsedS - busyS - blockedS));
    frame.addHistogram(f.duration, labels, durations.cumulative(boundsMs), durations.sumMs / 1000, durations.count);
    frame.add(f.queueDepth, labels, s.queueDepth);
    frame.add(f.queueCapacity, labels, queueCapacity);
    frame.add(f.inFlight, labels, s.inFlight);
    frame.add(f.waiting, labels, s.waiting);
    frame.add(f.limit, labels, s.limit);
    if (s.breaker !== undefined) frame.add(f.breaker, { ...labels, state: s.breaker.state }, 1);
    if (pool !== undefined) {
      const poolLabels = { pipeline, stage: s.name, context: pool.context };
      for (const [state, n] of Object.entries(pool.workers)) frame.add(f.workers, { ...poolLabels, state }, n);
      frame.add(f.restarts, poolLabels, pool.restarts);
      pool.workerLoopDelayMs.forEach((ms, i) =>
        frame.add(f.workerLoopDelay, { ...poolLabels, worker: String(i) }, ms / 1000),
      );
    }
    if (s.fleet !== undefined) {
      const fleetLabels = { pipeline, stage: s.name };
      frame.add(f.fleetWorkers, fleetLabels, s.fleet.workers);
      frame.add(f.fleetLag, fleetLabels, s.fleet.lag);
      frame.add(f.fleetRedeliveries, fleetLabels, s.fleet.redeliveries);
    }
  }
}
