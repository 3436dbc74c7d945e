import type { Attributes, Link, Span, Tracer } from "@opentelemetry/api";
import type { RunTrace, RunTracer, StageTrace, TracedRun } from "../stats/RunTracer.js";
import { errorCode } from "../stats/errorCode.js";
import type { ExecutionContext } from "../stage/StageContext.js";
import type { TaskState } from "../state/TaskState.js";

// the API's enum values, spelled out: weir/otel loads no OpenTelemetry package itself (the
// tracer is the caller's), so `@opentelemetry/api` is needed for its types only
const INTERNAL = 0; // SpanKind.INTERNAL
const ERROR = 2; // SpanStatusCode.ERROR

/** Wall-clock milliseconds now, with the fraction `performance.now()` gives. */
const wallNow = (): number => performance.timeOrigin + performance.now();

/**
 * A {@link RunTracer} recording to an OpenTelemetry tracer: a span for each run (a child of the
 * context active when the run starts), and a root span per attempt (async and pool stages) or
 * per batch (fused inline stages, `batch()` stages) of a pipeline's stages, or per task that ran
 * of a workflow, each linked to its run's span. Attributes `weir.pipeline` / `weir.workflow`,
 * `weir.stage` / `weir.task`, `weir.context`, `weir.items`; a failed attempt, batch, task or run
 * has an error status, its error recorded as an exception and its code as `error.type`.
 */
export class OtelTracer implements RunTracer {
  /** The tracer spans are recorded with. */
  readonly tracer: Tracer;

  constructor(tracer: Tracer) {
    this.tracer = tracer;
  }

  start(run: TracedRun): RunTrace {
    return new OtelRunTrace(this.tracer, run);
  }
}

class OtelRunTrace implements RunTrace {
  readonly #tracer: Tracer;
  readonly #run: TracedRun;
  readonly #span: Span;
  readonly #links: Link[];

  constructor(tracer: Tracer, run: TracedRun) {
    this.#tracer = tracer;
    this.#run = run;
    this.#span = tracer.startSpan(`weir ${run.kind} ${run.name}`, {
      kind: INTERNAL,
      attributes: { [`weir.${run.kind}`]: run.name },
    });
    this.#links = [{ context: this.#span.spanContext() }];
  }

  stage(stage: { readonly name: string; readonly context: ExecutionContext }): StageTrace {
    const attributes = { "weir.pipeline": this.#run.name, "weir.stage": stage.name, "weir.context": stage.context };
    return new OtelStageTrace(this.#tracer, this.#links, `weir stage ${stage.name}`, attributes);
  }

  task(task: TaskState, nowMs: number): void {
    // a task that never started (skipped, cancelled while pending) has no span
    if (task.startedAt === undefined || task.reused) return;
    const wall = wallNow();
    const span = this.#tracer.startSpan(`weir task ${task.name}`, {
      kind: INTERNAL,
      root: true,
      links: this.#links,
      startTime: wall - (nowMs - task.startedAt),
      attributes: {
        "weir.workflow": this.#run.name,
        "weir.task": task.name,
        "weir.task.state": task.status,
        "weir.attempts": task.attempts,
      },
    });
    if (task.status !== "completed") setError(span, task.error, 1);
    span.end(wall - (nowMs - (task.endedAt ?? nowMs)));
  }

  end(ok: boolean, error: unknown): void {
    if (!ok) setError(this.#span, error, 1);
    this.#span.end();
  }
}

class OtelStageTrace implements StageTrace {
  readonly #tracer: Tracer;
  readonly #links: Link[];
  readonly #name: string;
  readonly #attributes: Attributes;
  /** Failures reported since the last attempt ended, and the first of them. */
  #errors = 0;
  #error: unknown;

  constructor(tracer: Tracer, links: Link[], name: string, attributes: Attributes) {
    this.#tracer = tracer;
    this.#links = links;
    this.#name = name;
    this.#attributes = attributes;
  }

  failed(error: unknown): void {
    if (this.#errors++ === 0) this.#error = error;
  }

  attempt(durationMs: number, items: number): void {
    const end = wallNow();
    const span = this.#tracer.startSpan(this.#name, {
      kind: INTERNAL,
      root: true,
      links: this.#links,
      startTime: end - durationMs,
      attributes: { ...this.#attributes, "weir.items": items },
    });
    if (this.#errors > 0) {
      setError(span, this.#error, this.#errors);
      this.#errors = 0;
      this.#error = undefined;
    }
    span.end(end);
  }
}

/** Marks `span` failed with `error` (`errors` failures in all). */
function setError(span: Span, error: unknown, errors: number): void {
  const message = error instanceof Error ? error.message : String(error);
  span.setStatus({ code: ERROR, message });
  span.setAttribute("error.type", errorCode(error));
  if (errors > 1) span.setAttribute("weir.errors", errors);
  if (error instanceof Error || typeof error === "string") span.recordException(error);
}
