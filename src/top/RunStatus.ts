import type { MetricsSource } from "../stats/MetricsSink.js";

/** One stage of a {@link RunStatus}. */
export interface StageStatus {
  readonly name: string;
  readonly context: string;
  readonly in: number;
  readonly out: number;
  /** Failed attempts. */
  readonly errors: number;
  readonly queueDepth: number;
  /** 0 when the stage has no input channel. */
  readonly queueCapacity: number;
  readonly busyMs: number;
  readonly backPressuredMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Its pool's workers, for worker and process stages. */
  readonly workers: { readonly busy: number; readonly total: number } | undefined;
}

/** What a running weir process serves `weir top` on `/status`. */
export interface RunStatus {
  readonly pid: number;
  readonly kind: "pipeline" | "workflow";
  readonly name: string;
  readonly elapsedMs: number;
  /** The run's state (`running`, `stopping`…), from its snapshot. */
  readonly state: string;
  readonly bottleneck: string | undefined;
  /** Pipelines: one per stage, in plan order. */
  readonly stages: readonly StageStatus[];
  /** Workflows: tasks by state. */
  readonly tasks: Readonly<Record<string, number>> | undefined;
}

/** The status of the run `source` reads, with the state its snapshot gives. */
export function runStatus(source: MetricsSource, snapshot: unknown): RunStatus {
  const reading = source.read();
  const snap = snapshot as { state?: unknown; bottleneck?: unknown } | null;
  const state = typeof snap?.state === "string" ? snap.state : "running";
  const base = { pid: process.pid, kind: source.kind, name: source.name, elapsedMs: reading.elapsedMs, state };
  if (reading.kind === "workflow") {
    const tasks: Record<string, number> = {};
    for (const t of reading.tasks) tasks[t.status] = (tasks[t.status] ?? 0) + 1;
    return { ...base, bottleneck: undefined, stages: [], tasks };
  }
  return {
    ...base,
    bottleneck: typeof snap?.bottleneck === "string" ? snap.bottleneck : undefined,
    tasks: undefined,
    stages: reading.stages.map(({ stats: s, queueCapacity, pool }) => ({
      name: s.name,
      context: s.context,
      in: s.in,
      out: s.out,
      errors: s.errors,
      queueDepth: s.queueDepth,
      queueCapacity,
      busyMs: s.busyMs,
      backPressuredMs: s.backPressuredMs,
      p50Ms: s.latency.p50,
      p99Ms: s.latency.p99,
      workers:
        pool === undefined
          ? undefined
          : {
              busy: pool.workers.busy,
              total: pool.workers.busy + pool.workers.idle + pool.workers.starting + pool.workers.stopping,
            },
    })),
  };
}
