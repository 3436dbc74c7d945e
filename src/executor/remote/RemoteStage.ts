import type { Executor } from "../Executor.js";
import type { PoolOptions, PoolSettings } from "../pool/PoolOptions.js";
import type { ChainStep } from "../pool/WireMessage.js";

/** Global-registry brand shared with the pipeline builder's `isRemoteStage` check. */
export const remoteStageBrand: unique symbol = Symbol.for("weir.remote-stage") as never;

/** Builds the executor of a stage that runs in a pool or on a fleet; the pipeline builder calls it. */
export interface RemoteStageFactory {
  /** `worker` (threads), `process` (child processes) or `fleet` (`weir worker`s over Redis). */
  readonly context: "worker" | "process" | "fleet";
  /** What `weir plan` says about where the stage runs. @default `runs in a <context> pool` */
  readonly placement?: string;
  /** Most items its executors keep in flight at a stage `concurrency`. @default from the pool settings */
  maxWindow?(concurrency: number): number;
  /** Stages with equal keys run in the same module and pool, and may be colocated. */
  readonly colocationKey: string;
  /** The export the stage calls. */
  readonly exportName: string;
  /** The pool's options, validated (the plan reports how a stage uses its pool); undefined for a fleet stage. */
  readonly settings: PoolSettings | undefined;
  /**
   * Creates the executor for a chain of colocated stages of this module (this stage last);
   * `timeoutMs`, the stage's timeout, is then enforced by the executor (`ownsTimeouts`).
   */
  create(stage: string, chain: readonly ChainStep[], timeoutMs?: number): Executor;
}

/**
 * A stage function that runs off the main loop: export `exportName` of the module at
 * `moduleUrl`, in a worker-thread pool (`worker(...)`) or a child-process pool (`child(...)`).
 * A plain, typed description: pass it to `.map`, `.filter`, `.flatMap`, `.tap` or `.to` in place
 * of a function; `I` and `O` type the function's input and output.
 *
 * @example
 * ```ts
 * const len = worker<string, number>(new URL("./text.js", import.meta.url), "len");
 * pipeline("p").from(words).map(len) // Stream<number>
 * ```
 */
export interface RemoteStage<I, O> {
  readonly [remoteStageBrand]: true;
  readonly context: "worker" | "process" | "fleet";
  /** The module, as a `file:` URL string. */
  readonly moduleUrl: string;
  /** The module export the stage calls. */
  readonly exportName: string;
  /** The options as given: pool options (`worker()`, `child()`) or fleet options (`fleet()`). */
  readonly options: PoolOptions | object;
  /** The pool options validated, every field present; undefined for a fleet stage (no pool here). */
  readonly settings: PoolSettings | undefined;
  /** Builds the executors. */
  readonly factory: RemoteStageFactory;
  /** Type-only: the function's input and output. */
  readonly __types?: (item: I) => O;
}

/** True when `value` is a {@link RemoteStage} (from this copy of weir or another). */
export function isRemoteStage(value: unknown): value is RemoteStage<unknown, unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[remoteStageBrand] === true;
}
