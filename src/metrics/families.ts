/** How samples of one metric combine when two runs (of one pipeline) report the same labels. */
export type Combine = "sum" | "max";

/** One metric: its name, help, Prometheus type. */
export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge" | "histogram";
  /** How two runs' values for the same labels combine. @default "sum" */
  readonly combine?: Combine;
}

const counter = (name: string, help: string): Family => ({ name, help, type: "counter" });
const gauge = (name: string, help: string, combine: Combine = "sum"): Family => ({
  name,
  help,
  type: "gauge",
  combine,
});
const histogram = (name: string, help: string): Family => ({ name, help, type: "histogram" });

/**
 * Every metric weir publishes (Prometheus conventions: base units, `_total` counters, `_seconds`;
 * labels `pipeline`, `stage`, `context`, plus `code`, `reason`, `state`, `worker` where said; never a
 * run or item id).
 */
export const families = {
  received: counter("weir_stage_items_received_total", "Items that entered the stage."),
  emitted: counter("weir_stage_items_emitted_total", "Items the stage emitted."),
  failed: counter("weir_stage_items_failed_total", "Attempts that failed, by error code (retried ones included)."),
  retried: counter("weir_stage_items_retried_total", "Retries scheduled."),
  deadLettered: counter("weir_stage_items_dead_lettered_total", "Items dead-lettered (onError: dead-letter)."),
  dropped: counter(
    "weir_stage_items_dropped_total",
    "Items dropped, by reason: overflow (a full input channel's drop policy) or skipped (onError: skip).",
  ),
  admissionWaits: counter(
    "weir_stage_admission_waits_total",
    "Items that waited for admission at least once (rate limit, breaker, bulkhead, adaptive limit).",
  ),
  busy: counter("weir_stage_busy_seconds_total", "Time with at least one item in flight."),
  backPressured: counter(
    "weir_stage_back_pressured_seconds_total",
    "Time the stage's step waited for room in a full channel below it.",
  ),
  idle: counter("weir_stage_idle_seconds_total", "Time neither busy nor back-pressured."),
  duration: histogram(
    "weir_stage_attempt_duration_seconds",
    "Time of one attempt of one item in the stage (fused stages: a chunk's time per item).",
  ),
  queueDepth: gauge("weir_stage_queue_depth", "Items waiting in the stage's input channel."),
  queueCapacity: gauge("weir_stage_queue_capacity", "Capacity of the stage's input channel."),
  inFlight: gauge("weir_stage_in_flight", "Items being processed by the stage (those waiting for admission included)."),
  waiting: gauge("weir_stage_admission_waiting", "Items waiting for admission now."),
  limit: gauge("weir_stage_concurrency_limit", "The stage's concurrency limit now (adaptive stages move it)."),
  breaker: gauge("weir_stage_breaker_state", "1 for the state the stage's circuit breaker is in, by state.", "max"),
  workers: gauge("weir_pool_workers", "Workers of the stage's pool, by state: starting, idle, busy, stopping.", "max"),
  restarts: counter(
    "weir_pool_worker_restarts_total",
    "Workers of the stage's pool that ended for another reason than idleness or closing (crash, limit, hang).",
  ),
  workerLoopDelay: gauge(
    "weir_pool_worker_loop_delay_seconds",
    "Event-loop delay last reported by each worker of the stage's pool, by worker slot.",
    "max",
  ),
  fleetWorkers: gauge(
    "weir_fleet_workers",
    "Workers (weir worker consumers Redis saw in the last 15 s) serving the fleet stage's export.",
    "max",
  ),
  fleetLag: gauge(
    "weir_fleet_lag_entries",
    "Entries of the fleet stage's request stream waiting for an answer: queued, or held by a worker.",
    "max",
  ),
  fleetRedeliveries: counter(
    "weir_fleet_redeliveries_total",
    "Items of the fleet stage delivered again after the worker holding them died or stalled past its lease.",
  ),
  mainLoopDelay: gauge("weir_main_loop_delay_seconds", "Mean event-loop delay of the main thread.", "max"),
  runs: gauge("weir_runs_active", "Runs in progress, by pipeline or workflow."),
  tasks: gauge("weir_workflow_tasks", "Tasks of running workflows, by state."),
  tasksEnded: counter("weir_workflow_tasks_ended_total", "Tasks that reached a final state, by state."),
  taskDuration: histogram("weir_workflow_task_duration_seconds", "Time from a task's first attempt to its end."),
  itemLatency: histogram(
    "weir_pipeline_item_latency_seconds",
    "Time from an item's admission by the source until it left the pipeline (sunk, filtered out, dropped or dead-lettered), per source batch, to about 5 ms.",
  ),
  checkpointDuration: histogram(
    "weir_checkpoint_commit_duration_seconds",
    "Wall time of the store's group commits that carried a durable run's checkpoint.",
  ),
  checkpointLag: gauge(
    "weir_checkpoint_lag_items",
    "Source items admitted past the last committed checkpoint's watermark: what a resume now would read again.",
  ),
  checkpointAge: gauge(
    "weir_checkpoint_age_seconds",
    "Seconds since a durable run's last checkpoint was committed (since it started, before the first).",
    "max",
  ),
  deadLettersStored: counter(
    "weir_dead_letters_stored_total",
    "Dead letters a durable run wrote to its store (those the store could not take are not counted).",
  ),
} as const satisfies Record<string, Family>;

/** Default histogram bounds, in seconds. */
export const defaultBuckets: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300,
]);
