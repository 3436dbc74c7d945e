import type { StageCacheStats } from "../stage/cache/StageCache.js";
import type { ExecutionContext } from "../stage/StageContext.js";

/** Latency percentiles of a stage, in milliseconds, from a bounded histogram. */
export interface LatencySummary {
  /** Samples recorded. */
  readonly count: number;
  /** Median: half of the samples took at most this long (within about 12%). */
  readonly p50: number;
  /** 90th percentile: 90% of the samples took at most this long. */
  readonly p90: number;
  /** 99th percentile: 99% of the samples took at most this long. */
  readonly p99: number;
  /** The longest sample, exact. */
  readonly max: number;
}

/** The state of the circuit breaker in front of a stage, in its {@link StageStats}. */
export interface StageBreakerStats {
  /** The breaker's name. */
  readonly name: string;
  /** Its state at the snapshot (`closed`, `open`, `half-open`, `isolated`). */
  readonly state: string;
  /** Times it opened during this run (a shared breaker: whichever stage's failures opened it). */
  readonly opens: number;
}

/**
 * A fleet stage's view of its fleet (stages made with `fleet()` from `weir/redis`), in its
 * {@link StageStats}. `workers` and `lag` are read from Redis about once a second; the counts
 * are this run's.
 */
export interface StageFleetStats {
  /** Workers (consumers of the export's group) seen by Redis in the last 15 s, at the last reading. */
  readonly workers: number;
  /**
   * Entries in the export's request stream waiting for an answer at the last reading: queued
   * (not delivered yet) or held by a worker. All runs that use the export count.
   */
  readonly lag: number;
  /**
   * Items of this run delivered again to another worker after the one holding them died or
   * stalled past its lease (`XAUTOCLAIM`): each answer counts its item's deliveries beyond the first.
   */
  readonly redeliveries: number;
  /** Items this run sent to the fleet (sent again after Redis lost them included). */
  readonly sent: number;
  /**
   * Durable runs resumed after their origin was killed: items that took an answer, or waited
   * for an entry, the earlier incarnation left in Redis instead of being sent again.
   */
  readonly adopted: number;
}

/**
 * Counters and gauges of one stage, as of a snapshot. Immutable (frozen).
 *
 * Fused inline stages are timed per chunk, not per item: their latency is the chunk's time divided
 * by its size, which is what an item costs there.
 */
export interface StageStats {
  /** The stage's name. */
  readonly name: string;
  /** The stage's kind: map, filter, flatMap, tap, batch, sink. */
  readonly kind: string;
  /** Where it runs. */
  readonly context: ExecutionContext;
  /** Items that entered the stage. */
  readonly in: number;
  /** Items the stage emitted (a filter emits fewer, a flatMap or batch differently). */
  readonly out: number;
  /** Attempts that failed (retried ones included). */
  readonly errors: number;
  /** Retries scheduled. */
  readonly retries: number;
  /** Items dropped by `onError: "skip"`. */
  readonly skipped: number;
  /** Items dropped by `onError: "dead-letter"`. */
  readonly deadLettered: number;
  /** Items dropped by the input channel's overflow policy. */
  readonly dropped: number;
  /** Items being processed now (those waiting for admission included). */
  readonly inFlight: number;
  /** Items waiting for admission now: a rate limit, an open breaker, a full bulkhead, the adaptive limit. */
  readonly waiting: number;
  /** Items that had to wait for admission at least once. */
  readonly waits: number;
  /**
   * Retry-After penalties this stage's attempts reported to its rate limiter or adaptive limit
   * (`ctx.retryAfter`, or an error carrying Retry-After); 0 when it has neither.
   */
  readonly penalties: number;
  /** The stage's circuit breaker (the `breaker` option), when it has one. */
  readonly breaker?: StageBreakerStats;
  /** The stage's concurrency limit now (the adaptive limit, or the fixed window); 0 for fused stages. */
  readonly limit: number;
  /** Items waiting in the stage's input channel. */
  readonly queueDepth: number;
  /** Milliseconds with at least one item in flight. */
  readonly busyMs: number;
  /**
   * Milliseconds the stage's step waited for room in a full channel below it (back-pressured):
   * stages fused into one step share it.
   */
  readonly backPressuredMs: number;
  /** Busy share since the run started: `busyMs / elapsedMs`, 0..1 (0 before any time passed). */
  readonly utilisation: number;
  /** Items emitted per second since the run started (`out / elapsed seconds`; 0 before any time passed). */
  readonly itemsPerSecond: number;
  /** Per-item latency (one attempt). */
  readonly latency: LatencySummary;
  /** Mean event-loop delay of the context the stage runs in, ms (0 when not measured). */
  readonly loopDelayMs: number;
  /** A cached stage's hits and misses in this run (stages with the `cache` option only). */
  readonly cache?: StageCacheStats;
  /** A fleet stage's workers, lag and redeliveries (stages made with `fleet()` only). */
  readonly fleet?: StageFleetStats;
}
