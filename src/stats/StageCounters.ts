import { errorCode } from "./errorCode.js";
import type { ExecutionContext } from "../stage/StageContext.js";
import { LatencyHistogram } from "./LatencyHistogram.js";
import type { StageTrace } from "./RunTracer.js";
import { TracedLatencyHistogram } from "./TracedLatencyHistogram.js";
import type { StageBreakerStats, StageFleetStats, StageStats } from "./StageStats.js";
import type { StageCacheStats } from "../stage/cache/StageCache.js";

/**
 * The mutable counters behind one stage's {@link StageStats}. Written on the hot path by the
 * stage's runner (plain field increments), read by `snapshot()`.
 */
export class StageCounters {
  readonly name: string;
  readonly kind: string;
  context: ExecutionContext;
  in = 0;
  out = 0;
  errors = 0;
  retries = 0;
  skipped = 0;
  deadLettered = 0;
  inFlight = 0;
  busyMs = 0;
  /** Failed attempts by error code (`errorCode` of the error): counted on the failure path only. */
  readonly failures = new Map<string, number>();
  /** When inFlight last went from 0 to 1 (clock ms). */
  busySince = 0;
  /** Per-attempt durations (a {@link TracedLatencyHistogram} once {@link StageCounters.traceTo} was called). */
  latency: LatencyHistogram = new LatencyHistogram();
  /** Where attempts are traced (`run({ tracer })`), if anywhere. */
  #trace: StageTrace | undefined;
  /** Reads the queue depth of the stage's input channel, when it has one. */
  queueDepth: () => number = () => 0;
  /** Reads items dropped by the input channel's overflow policy. */
  dropped: () => number = () => 0;
  /** Reads how many items wait for admission (rate limit, breaker, bulkhead, adaptive limit). */
  waiting: () => number = () => 0;
  /** Reads how many items had to wait for admission at least once. */
  waits: () => number = () => 0;
  /** Reads how many Retry-After penalties the stage's attempts reported. */
  penalties: () => number = () => 0;
  /** Reads the state of the stage's circuit breaker, when it has one. */
  breaker: (() => StageBreakerStats) | undefined = undefined;
  /** Reads the stage's concurrency limit now (adaptive stages move it). */
  limit: () => number = () => 0;
  /** Reads a cached stage's hits and misses (set for stages with the `cache` option). */
  cache: (() => StageCacheStats) | undefined = undefined;
  /** Reads a fleet stage's workers, lag and redeliveries (set for stages made with `fleet()`). */
  fleet: (() => StageFleetStats) | undefined = undefined;
  /** Reads the context's event-loop delay. */
  loopDelayMs: () => number = () => 0;
  /** Reads the capacity of the stage's input channel (0 when it has none). */
  queueCapacity: () => number = () => 0;
  /** A source's stage: told of each batch the source admits (`[start, start + n)`), when the run measures item latency. */
  admitted: ((start: number, n: number) => void) | undefined = undefined;
  /** Reads the milliseconds, up to `now`, the stage's step waited for room below (back-pressured). */
  backPressuredMs: (now: number) => number = () => 0;

  constructor(name: string, kind: string, context: ExecutionContext) {
    this.name = name;
    this.kind = kind;
    this.context = context;
  }

  /** An attempt failed with `error`: counts it, and under its code. */
  failed(error: unknown): void {
    this.errors++;
    const code = errorCode(error);
    this.failures.set(code, (this.failures.get(code) ?? 0) + 1);
    this.#trace?.failed(error);
  }

  /** Reports the stage's attempts to `trace` from now on (called before the run starts). */
  traceTo(trace: StageTrace): void {
    this.#trace = trace;
    this.latency = new TracedLatencyHistogram(trace);
  }

  /** An item started: count busy time from the first one in flight. */
  started(now: number): void {
    if (this.inFlight++ === 0) this.busySince = now;
  }

  /** `n` items started at once, as `n` calls of {@link started}. */
  startedMany(n: number, now: number): void {
    if (this.inFlight === 0) this.busySince = now;
    this.inFlight += n;
  }

  /** An item finished (whatever the outcome). */
  finished(now: number): void {
    if (--this.inFlight === 0) this.busyMs += now - this.busySince;
  }

  /** `n` items finished at the same `now`. */
  finishedMany(n: number, now: number): void {
    if (n > 0 && (this.inFlight -= n) === 0) this.busyMs += now - this.busySince;
  }

  /** A frozen copy, with busy time up to `now`, `elapsedMs` after the run started. */
  snapshot(now: number, elapsedMs: number): StageStats {
    const busyMs = this.busyMs + (this.inFlight > 0 ? now - this.busySince : 0);
    const stats: StageStats = {
      name: this.name,
      kind: this.kind,
      context: this.context,
      in: this.in,
      out: this.out,
      errors: this.errors,
      retries: this.retries,
      skipped: this.skipped,
      deadLettered: this.deadLettered,
      dropped: this.dropped(),
      inFlight: this.inFlight,
      waiting: this.waiting(),
      waits: this.waits(),
      penalties: this.penalties(),
      limit: this.limit(),
      queueDepth: this.queueDepth(),
      busyMs,
      backPressuredMs: this.backPressuredMs(now),
      utilisation: elapsedMs > 0 ? Math.min(1, busyMs / elapsedMs) : 0,
      itemsPerSecond: elapsedMs > 0 ? (this.out * 1000) / elapsedMs : 0,
      latency: this.latency.summary(),
      loopDelayMs: this.loopDelayMs(),
    };
    const withFleet = this.fleet === undefined ? stats : { ...stats, fleet: Object.freeze(this.fleet()) };
    const withCache = this.cache === undefined ? withFleet : { ...withFleet, cache: Object.freeze(this.cache()) };
    return Object.freeze(
      this.breaker === undefined ? withCache : { ...withCache, breaker: Object.freeze(this.breaker()) },
    );
  }
}
