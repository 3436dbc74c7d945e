/**
 * weir: concurrent pipelines and workflows for Node.
 *
 * Only what is exported here is public API.
 * @packageDocumentation
 */

// pipelines
export { pipeline, type PipelineStart } from "./pipeline/pipeline.js";
export {
  Stream,
  Sink,
  mergeStreams as merge,
  isPipelineHandle,
  type StageFn,
  type StreamOptions,
  type RouteOptions,
  type Runnable,
} from "./pipeline/Stream.js";
export type { PoolStage, RemoteStage } from "./executor/pool/stage/PoolStage.js";
export type { StageOptions, BatchOptions } from "./stage/StageOptions.js";
export type { MapBatchOptions } from "./stage/StageOptions.js";
export type { StageContext, ExecutionContext } from "./stage/StageContext.js";
export type { StageKind, ErrorPolicy } from "./stage/StageKind.js";
export type { SourceInput } from "./source/SourceInput.js";
export type { OverflowPolicy } from "./channel/Channel.js";
export type { SourceOptions } from "./pipeline/pipeline.js";
export type { ThroughOptions } from "./pipeline/Stream.js";
export { fragment, type Fragment } from "./pipeline/fragment.js";
export type { DispatchContext, RouteStrategy } from "./pipeline/DispatchContext.js";

// plans
export type { ExecutionPlan, PlanStep, PlannedStage, PlannedPool } from "./plan/ExecutionPlan.js";
export { formatPlan } from "./plan/formatPlan.js";

// runs
export { STOP_GRACE_MS, type Run, type StopOptions } from "./run/Run.js";
export type { RunOptions } from "./run/RunOptions.js";
export { deadLetterDefaults, type DeadLetterOptions } from "./run/DeadLetterOptions.js";
export type { RunResult, RunSnapshot, RunState } from "./run/RunResult.js";
export type { RunEvents, RunEventType, DeadLetter } from "./run/RunEvents.js";
export type { StageStats, StageBreakerStats, LatencySummary } from "./stats/StageStats.js";
export type { StageFleetStats } from "./stats/StageStats.js";

// policies: retry and flow control
export { retryDefaults, type RetryOptions } from "./policy/retry.js";
export type { AdaptiveConcurrencySetting } from "./stage/StageOptions.js";
export { neutralOutcome, cancelledOutcome, type Admission, type AdmissionOutcome } from "./policy/Admission.js";
export { composeAdmissions } from "./policy/composeAdmissions.js";
export { acquire, type AcquireOptions } from "./policy/acquire.js";
export { withAdmission } from "./policy/withAdmission.js";
export { retryAfterMs, parseRetryAfter } from "./policy/retryAfterMs.js";
export { isOverload } from "./policy/isOverload.js";
export {
  rateLimiter,
  RateLimiter,
  rateLimiterDefaults,
  type RateLimiterOptions,
  type RateLimiterEvents,
  type RateLimiterStats,
} from "./policy/RateLimiter.js";
export type { RateLimits, RateWindow } from "./policy/RateLimits.js";
export {
  circuitBreaker,
  CircuitBreaker,
  circuitBreakerDefaults,
  type CircuitBreakerOptions,
  type CircuitBreakerEvents,
  type CircuitBreakerStats,
  type CircuitBreakerSnapshot,
  type CircuitState,
  type CircuitReason,
} from "./policy/CircuitBreaker.js";
export {
  bulkhead,
  Bulkhead,
  bulkheadDefaults,
  type BulkheadOptions,
  type BulkheadEvents,
  type BulkheadStats,
} from "./policy/Bulkhead.js";
export {
  adaptiveConcurrency,
  AdaptiveConcurrency,
  adaptiveConcurrencyDefaults,
  type AdaptiveConcurrencyOptions,
  type AdaptiveConcurrencyHost,
  type AdaptiveConcurrencyEvents,
  type AdaptiveConcurrencyStats,
  type AdaptiveReason,
} from "./policy/AdaptiveConcurrency.js";
export {
  memoryGuard,
  MemoryGuard,
  memoryGuardDefaults,
  type MemoryGuardOptions,
  type MemoryGuardEvents,
  type MemoryGuardStats,
} from "./policy/MemoryGuard.js";

// workflows
export { workflow } from "./workflow/createWorkflow.js";
export type { Workflow, TaskSpec, DependencyResults } from "./workflow/Workflow.js";
export type { WorkflowRun } from "./workflow/run/WorkflowRun.js";
export type { TaskOptions, FailurePolicy, TaskInfo } from "./workflow/definition/TaskOptions.js";
export type { TaskContext } from "./workflow/definition/TaskContext.js";
export type { TaskFunction } from "./workflow/definition/TaskFunction.js";
export type { WorkflowRunOptions } from "./workflow/run/WorkflowRunOptions.js";
export type { WorkflowResult, TaskStates } from "./workflow/results/WorkflowResult.js";
export type { WorkflowEvents, WorkflowEventType } from "./workflow/results/WorkflowEvents.js";
export type { WorkflowPlan, PlannedTask } from "./workflow/plan/WorkflowPlan.js";

// immutable state and projections
export { WorkflowSnapshot, type WorkflowState, type FinalWorkflowState } from "./state/WorkflowSnapshot.js";
export { taskStatuses, type TaskState, type TaskStatus } from "./state/TaskState.js";
export { progress, type Progress } from "./state/progress.js";
export { tasksWithStatus, failedTasks, runningTasks } from "./state/tasksWithStatus.js";
export { projection } from "./state/projection.js";

// component runtime
export { runtime } from "./runtime/createRuntime.js";
export type { Runtime, RuntimeState } from "./runtime/Runtime.js";
export type { ComponentSpec, StartContext, ComponentContext } from "./runtime/Component.js";
export type { UnhealthyAction, UnhealthyOptions } from "./runtime/UnhealthyPolicy.js";
export type { ShutdownHook, ShutdownHookOptions, ShutdownContext } from "./runtime/ShutdownHook.js";
export type { HealthStatus, HealthCheckResult, HealthReport, ComponentHealth } from "./runtime/HealthStatus.js";
export type { RuntimeOptions, SignalOptions, SignalTarget } from "./runtime/RuntimeOptions.js";
export type { RuntimeEvents } from "./runtime/RuntimeEvents.js";
export type { StartReport, StopReport, ComponentStart, ComponentStop, HookEnd } from "./runtime/RuntimeReport.js";

// durable store (the SQLite implementation is the `weir/sqlite` subpath: the core never loads it)
export type { Store } from "./store/Store.js";
export { memoryStore } from "./store/memoryStore.js";
export { storeDefaults, type StoreOptions } from "./store/StoreOptions.js";
export type { RunHandle, InboxEntry } from "./store/RunHandle.js";
export type {
  RunKind,
  StoredRunState,
  RunOwner,
  RunProgress,
  RunRecord,
  RunFilter,
  CreateRunOptions,
  ResumeRunOptions,
} from "./store/RunRecord.js";
export { planHash, planChanges, type PlanPart, type PlanShape } from "./store/PlanShape.js";
export { RangeSet } from "./store/RangeSet.js";
export type { Checkpoint, CheckpointInput } from "./store/Checkpoint.js";
export type {
  NewDeadLetter,
  DeadLetterRecord,
  DeadLetterFilter,
  DeadLetterPage,
  DeadLetterPaging,
} from "./store/DeadLetterRecord.js";
export type { DeadLetters } from "./store/DeadLetters.js";
export { storedError, type StoredError } from "./store/StoredError.js";
export type { TaskResultRecord, AddedTask, AddedTaskRecord } from "./store/TaskRecords.js";
export type { CacheTier, CacheHit, CacheSetOptions } from "./store/CacheTier.js";
export { StoreError, type StoreErrorCode } from "./errors/StoreError.js";
export { SerializationError } from "./errors/SerializationError.js";
export { RunClaimError, type RunClaimErrorCode } from "./errors/RunClaimError.js";
export { RunFencedError } from "./errors/RunFencedError.js";
export { PlanChangedError } from "./errors/PlanChangedError.js";

// time
export { systemClock, type Clock, type TimerHandle } from "./time/Clock.js";
/** @deprecated Import it from `weir/testing`; this re-export goes in the next minor version. */
export { ManualClock } from "./time/ManualClock.js";

// events
export { EventBus, type EventHandler, type SubscribeOptions, type EventBusOptions } from "./events/EventBus.js";
export type { EventSink } from "./events/EventSink.js";
export type { EventMiddleware } from "./events/EventMiddleware.js";
export type { RecordedEvent } from "./events/EventHistory.js";

// execution contexts: worker threads and child processes
export { worker } from "./executor/pool/stage/worker.js";
export { child } from "./executor/pool/stage/child.js";
export type { PoolOptions } from "./executor/pool/stage/PoolOptions.js";
export type { WorkerEnv } from "./executor/pool/stage/WorkerEnv.js";
export type {
  PoolStageContext,
  WorkerSetup,
  WorkerSetupInfo,
  WorkerTeardown,
  WorkerTeardownInfo,
} from "./executor/pool/stage/PoolStageContext.js";
export { closeIdlePools } from "./executor/pool/workers/idlePools.js";

// executors (the seam for running stages elsewhere)
export type { Executor, Attempt, Settle, BatchSettle, Group, GroupFailure, GroupOwner } from "./executor/Executor.js";

// errors
export { WeirError, type WeirErrorCode } from "./errors/WeirError.js";
export { InvalidOptionError } from "./errors/InvalidOptionError.js";
export { InvalidPipelineError } from "./errors/InvalidPipelineError.js";
export { StageError } from "./errors/StageError.js";
export { CycleError } from "./errors/CycleError.js";
export { CancelledError } from "./errors/CancelledError.js";
export { TimeoutError } from "./errors/TimeoutError.js";
export { SourceError } from "./errors/SourceError.js";
export { CircuitOpenError } from "./errors/CircuitOpenError.js";
export { RateLimitedError } from "./errors/RateLimitedError.js";
export { BulkheadFullError } from "./errors/BulkheadFullError.js";
export { WorkflowError } from "./errors/WorkflowError.js";
export { TaskError } from "./errors/TaskError.js";
export { ComponentError } from "./errors/ComponentError.js";
export { ItemTransferredError } from "./errors/ItemTransferredError.js";
export { BatchResultError } from "./errors/BatchResultError.js";
export { ItemNotSerializableError } from "./errors/ItemNotSerializableError.js";
export { ItemTooLargeError } from "./errors/ItemTooLargeError.js";
export { WorkerProtocolError } from "./errors/WorkerProtocolError.js";
export { WorkerCrashedError } from "./errors/WorkerCrashedError.js";
export { WorkerOutOfMemoryError } from "./errors/WorkerOutOfMemoryError.js";
export { ModuleLoadError } from "./errors/ModuleLoadError.js";
export { TypeScriptUnsupportedError } from "./errors/TypeScriptUnsupportedError.js";
export { OptionalDependencyMissingError } from "./errors/OptionalDependencyMissingError.js";
export { NotSelfContainedError } from "./errors/NotSelfContainedError.js";

// durable workflows, dead letters that outlive the process
export { persistDeadLetter, type PersistedDeadLetter } from "./store/persistDeadLetter.js";
export { replayDeadLetters, type ReplayOptions, type ReplayReport } from "./replay/replayDeadLetters.js";
export { durableState, type DurableState } from "./run/durable/durableState.js";
export type { DurableRunOptions } from "./workflow/run/WorkflowRunOptions.js";
export { stageCacheDefaults, type StageCacheOptions } from "./stage/cache/StageCacheOptions.js";
export type { StageCacheStats } from "./stage/cache/StageCache.js";

// diagnostics_channel hooks (for APM tools)
export { diagnosticsChannels, type DiagnosticsMessages } from "./events/diagnostics.js";

// tracing (the OpenTelemetry tracer is the `weir/otel` subpath: the core never loads OpenTelemetry)
export type { RunTracer, RunTrace, StageTrace, TracedRun } from "./stats/RunTracer.js";

// metrics (the prom-client publisher is the `weir/metrics` subpath: the core never loads prom-client)
export type {
  MetricsSink,
  MetricsSource,
  MetricsReading,
  PipelineReading,
  StageReading,
  PoolReading,
  WorkflowReading,
  DurationHistogram,
} from "./stats/MetricsSink.js";
export { ListenError } from "./errors/ListenError.js";
