import type { ServerResponse } from "node:http";
import type { ExecutionPlan } from "../../plan/ExecutionPlan.js";
import type { WorkflowPlan } from "../../workflow/plan/WorkflowPlan.js";
import type { WatchableRun, WatchableWorkflowRun, WatchedRun } from "../DashboardOptions.js";
import { PipelineWatch } from "./PipelineWatch.js";
import type { RunSummary } from "./RunSummary.js";
import type { Watch } from "./Watch.js";
import { WorkflowWatch } from "./WorkflowWatch.js";

/** Ended runs kept on the runs page; older ones are dropped (a process running many runs stays bounded). */
export const endedRunsKept = 100;

/** A page's server-sent event stream, and whether it is keeping up. */
interface Subscriber {
  readonly res: ServerResponse;
  /** False while the socket's buffer is full: updates are skipped until it drains. */
  ready: boolean;
}

/**
 * The live runs of this process: one timer samples every run not yet done (every `sampleMs`)
 * and writes each sample to the pages that follow that run, over one server-sent event stream
 * per page. A page that cannot keep up skips samples instead of buffering them.
 */
export class LiveRuns {
  readonly #watches = new Map<string, Watch>();
  readonly #ids = new WeakMap<object, string>();
  readonly #subscribers = new Map<string, Set<Subscriber>>();
  readonly #timer: NodeJS.Timeout;
  readonly #now: () => number;
  #next = 1;

  constructor(sampleMs: number, now: () => number = () => performance.now()) {
    this.#now = now;
    this.#timer = setInterval(() => this.sample(), sampleMs);
    this.#timer.unref();
  }

  /** Starts watching a run; returns its id (`live-<n>`). The same run twice gets its first id. */
  watch(input: WatchableRun | WatchedRun): string {
    const { run, plan } = isWatched(input) ? input : { run: input, plan: undefined };
    const known = this.#ids.get(run);
    if (known !== undefined) return known;
    const id = `live-${this.#next++}`;
    this.#ids.set(run, id);
    const watch: Watch = isWorkflowRun(run)
      ? new WorkflowWatch(id, run, plan as WorkflowPlan | undefined, this.#now)
      : new PipelineWatch(id, run, plan as ExecutionPlan | undefined, this.#now());
    this.#watches.set(id, watch);
    this.#forgetOldRuns();
    return id;
  }

  /** Rows of the runs page, newest first. */
  list(): RunSummary[] {
    return [...this.#watches.values()].map((w) => w.summary()).reverse();
  }

  get(id: string): Watch | undefined {
    return this.#watches.get(id);
  }

  /** Streams run `id` to `res`: its detail first, then every sample until the page leaves. */
  follow(id: string, res: ServerResponse): void {
    const watch = this.#watches.get(id)!;
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    });
    res.write(`retry: 2000\nevent: detail\ndata: ${JSON.stringify(watch.detail())}\n\n`);
    let set = this.#subscribers.get(id);
    if (set === undefined) this.#subscribers.set(id, (set = new Set()));
    const subscriber: Subscriber = { res, ready: true };
    set.add(subscriber);
    res.on("drain", () => (subscriber.ready = true));
    res.on("close", () => set.delete(subscriber));
  }

  /** Samples every run not yet done and sends the samples to their pages. */
  sample(): void {
    const now = this.#now();
    for (const [id, watch] of this.#watches) {
      if (watch.done) continue;
      const update = watch.sample(now);
      const set = this.#subscribers.get(id);
      if (set === undefined || set.size === 0) continue;
      const frame = `event: update\ndata: ${JSON.stringify(update)}\n\n`;
      for (const s of set) if (s.ready) s.ready = s.res.write(frame);
    }
  }

  /** Drops the oldest ended runs beyond {@link endedRunsKept} (and ends their pages' streams). */
  #forgetOldRuns(): void {
    let ended = 0;
    for (const w of this.#watches.values()) if (w.done) ended++;
    for (const [id, w] of this.#watches) {
      if (ended <= endedRunsKept) break;
      if (!w.done) continue;
      this.#watches.delete(id);
      for (const s of this.#subscribers.get(id) ?? []) s.res.end();
      this.#subscribers.delete(id);
      ended--;
    }
  }

  /** Stops sampling and ends every stream. */
  close(): void {
    clearInterval(this.#timer);
    for (const set of this.#subscribers.values()) for (const s of set) s.res.end();
    this.#subscribers.clear();
  }
}

function isWatched(value: WatchableRun | WatchedRun): value is WatchedRun {
  return typeof value === "object" && value !== null && "run" in value && !("snapshot" in value);
}

function isWorkflowRun(run: WatchableRun): run is WatchableWorkflowRun {
  return typeof (run as { workflow?: unknown }).workflow === "string";
}

/** True when `value` is something `watch()` takes: a run, or `{ run, plan }`. */
export function isWatchable(value: unknown): value is WatchableRun | WatchedRun {
  if (typeof value !== "object" || value === null) return false;
  const run = "snapshot" in value ? value : (value as { run?: unknown }).run;
  return (
    typeof run === "object" &&
    run !== null &&
    typeof (run as { snapshot?: unknown }).snapshot === "function" &&
    typeof (run as { stop?: unknown }).stop === "function" &&
    typeof (run as { on?: unknown }).on === "function"
  );
}
