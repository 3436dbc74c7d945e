import type { RemoteStageFactory } from "./GraphNode.js";

const remoteBrand = Symbol.for("weir.remote-stage");

/**
 * A stage function that runs off the main loop, in a worker-thread or child-process pool. Made by
 * `worker(...)` / `child(...)`; typed by its input `I` and output `O`.
 */
export interface RemoteStage<I, O> {
  readonly [remoteBrand]: true;
  /** The module export the stage calls. */
  readonly exportName: string;
  /** Builds the executors. */
  readonly factory: RemoteStageFactory;
  /** Type-only: the function's input and output. */
  readonly __types?: (item: I) => O;
}

/** True when `value` is a {@link RemoteStage}. */
export function isRemoteStage(value: unknown): value is RemoteStage<unknown, unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[remoteBrand] === true;
}

/** Wraps a factory as a typed remote stage (used by `worker()` and `child()`). */
export function remoteStage<I, O>(factory: RemoteStageFactory): RemoteStage<I, O> {
  return { [remoteBrand]: true, exportName: factory.exportName, factory };
}
