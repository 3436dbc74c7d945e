import type { ExecutionPlan, PlanStep } from "../../plan/ExecutionPlan.js";
import type { Run } from "../../run/Run.js";
import type { RunSnapshot } from "../../run/RunResult.js";
import type { StageFleetStats, StageStats } from "../../stats/StageStats.js";
import { History } from "./History.js";
import type { RunSummary } from "./RunSummary.js";
import type { Watch } from "./Watch.js";

/** One stage as the graph page shows it, at one sample. */
export interface StageView {
  readonly name: string;
  readonly kind: string;
  readonly context: string;
  readonly in: number;
  readonly out: number;
  readonly errors: number;
  readonly retries: number;
  readonly deadLettered: number;
  readonly dropped: number;
  readonly inFlight: number;
  readonly waiting: number;
  readonly limit: number;
  readonly queueDepth: number;
  /** The channel's capacity in front of the stage; 0 when it has none (fused, source). */
  readonly capacity: number;
  /** Items out per second since the previous sample. */
  readonly rate: number;
  /** Share of the last sample's time with an item in flight, 0 to 1. */
  readonly busy: number;
  /** Share of it spent waiting for room downstream, when the stats say so; else undefined. */
  readonly backPressured: number | undefined;
  readonly p50: number;
  readonly p99: number;
  /** Workers of a pool stage, or a stage head's concurrency; 0 for fused stages, sources, batches and merges. */
  readonly workers: number;
  /**
   * A fleet stage's workers (as Redis saw them), lag (entries waiting in its request stream) and
   * redeliveries, as in its snapshot; absent for every other stage.
   */
  readonly fleet?: StageFleetStats;
}

const historySamples = 240;

/** Watches a pipeline run: samples its snapshot, keeps per-stage rates for the charts. */
export class PipelineWatch implements Watch {
  readonly id: string;
  readonly #run: Run;
  readonly #plan: ExecutionPlan | undefined;
  readonly #steps = new Map<string, PlanStep>();
  readonly #history = new History(historySamples);
  readonly #startedAt: number;
  #endedAt: number | undefined;
  #done = false;
  #last: { t: number; snap: RunSnapshot } | undefined;
  #views: StageView[] = [];
  #rate: number | undefined;

  constructor(id: string, run: Run, plan: ExecutionPlan | undefined, now: number) {
    this.id = id;
    this.#run = run;
    this.#plan = plan;
    for (const step of plan?.steps ?? []) this.#steps.set(step.head, step);
    const snap = run.snapshot();
    this.#startedAt = Date.now() - snap.elapsedMs;
    this.sample(now);
  }

  get done(): boolean {
    return this.#done;
  }

  summary(): RunSummary {
    const snap = this.#last!.snap;
    const live = snap.state === "running" || snap.state === "stopping";
    return {
      id: this.id,
      source: "live",
      kind: "pipeline",
      name: this.#run.pipeline,
      state: snap.state,
      done: snap.lowWatermark,
      total: undefined,
      rate: this.#rate,
      errors: snap.stages.reduce((sum, s) => sum + s.errors, 0),
      deadLetters: snap.deadLetters,
      startedAt: this.#startedAt,
      endedAt: this.#endedAt,
      stoppable: live,
    };
  }

  detail(): unknown {
    return { ...this.#update(), plan: this.#plan, history: this.#history.toJSON() };
  }

  sample(now: number): unknown {
    const snap = this.#run.snapshot();
    const last = this.#last;
    const dt = last === undefined ? 0 : now - last.t;
    const before = new Map<string, StageStats>();
    for (const s of last?.snap.stages ?? []) before.set(s.name, s);
    this.#views = snap.stages.map((s) => this.#view(s, before.get(s.name), dt));
    if (dt > 0) {
      this.#rate = ((snap.sourceItems - last!.snap.sourceItems) * 1000) / dt;
      this.#history.push(now, new Map(this.#views.map((v) => [v.name, v.rate])));
    }
    this.#last = { t: now, snap };
    if (snap.state !== "running" && snap.state !== "stopping") {
      this.#endedAt ??= Date.now();
      this.#done = true;
    }
    return this.#update(now);
  }

  stop(cancel: boolean): void {
    // the run's own promise says how it ended; this one only must not go unhandled
    this.#run.stop(cancel ? { graceMs: 0 } : {}).catch(() => {});
  }

  #update(t = this.#last!.t): Record<string, unknown> {
    const snap = this.#last!.snap;
    return {
      kind: "pipeline",
      t,
      summary: this.summary(),
      sourceItems: snap.sourceItems,
      lowWatermark: snap.lowWatermark,
      elapsedMs: snap.elapsedMs,
      stages: this.#views,
    };
  }

  #view(s: StageStats, prev: StageStats | undefined, dt: number): StageView {
    const step = this.#steps.get(s.name);
    const per = (now: number, then: number | undefined): number =>
      dt > 0 ? Math.max(0, ((now - (then ?? 0)) * 1000) / dt) : 0;
    const share = (now: number, then: number | undefined): number =>
      dt > 0 ? Math.min(1, Math.max(0, (now - (then ?? 0)) / dt)) : 0;
    // a snapshot that reports back-pressured time (newer weir) gets its share shown
    const bp = (s as unknown as Record<string, unknown>)["backPressuredMs"];
    const bpBefore = prev === undefined ? undefined : (prev as unknown as Record<string, unknown>)["backPressuredMs"];
    return {
      name: s.name,
      kind: s.kind,
      context: s.context,
      in: s.in,
      out: s.out,
      errors: s.errors,
      retries: s.retries,
      deadLettered: s.deadLettered,
      dropped: s.dropped,
      inFlight: s.inFlight,
      waiting: s.waiting,
      limit: s.limit,
      queueDepth: s.queueDepth,
      capacity: step?.input?.capacity ?? 0,
      rate: per(s.out, prev?.out),
      busy: share(s.busyMs, prev?.busyMs),
      backPressured:
        typeof bp === "number" ? share(bp, typeof bpBefore === "number" ? bpBefore : undefined) : undefined,
      p50: s.latency.p50,
      p99: s.latency.p99,
      workers: step === undefined ? 0 : (step.pool?.workers ?? (step.headKind === "stage" ? step.concurrency : 0)),
      ...(s.fleet === undefined ? {} : { fleet: s.fleet }),
    };
  }
}
