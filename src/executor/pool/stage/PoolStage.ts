import type { Executor } from "../../Executor.js";
import type { PoolOptions, PoolSettings } from "./PoolOptions.js";
import type { ChainStep } from "../wire/WireMessage.js";

/** Global-registry brand shared with the pipeline builder's `isPoolStage` check. */
export const poolStageBrand: unique symbol = Symbol.for("weir.pool-stage") as never;

/** Builds the executor of a stage that runs in a pool here or on a fleet elsewhere; the pipeline builder calls it. */
export interface PoolStageFactory {
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
  /** The source text of a function given itself (`worker(fn)`, `child(fn)`); undefined for a module's export. */
  readonly source?: string;
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
 * `moduleUrl` (or a self-contained function, sent by its source), in a worker-thread pool
 * (`worker(...)`) or a child-process pool (`child(...)`).
 * A plain, typed description: pass it to `.map`, `.filter`, `.flatMap`, `.tap` or `.to` in place
 * of a function; `I` and `O` type the function's input and output.
 *
 * @example
 * ```ts
 * const len = worker<string, number>(new URL("./text.js", import.meta.url), "len");
 * pipeline("p").from(words).map(len) // Stream<number>
 * ```
 */
export interface PoolStage<I, O> {
  readonly [poolStageBrand]: true;
  readonly context: "worker" | "process" | "fleet";
  /** The module, as a `file:` URL string (a `data:` URL holding the source of a function given itself). */
  readonly moduleUrl: string;
  /** The module export the stage calls (`default` for a function given itself). */
  readonly exportName: string;
  /** The name a stage running it gets unless given one: the export's, or the function's ("" for an anonymous one). */
  readonly name: string;
  /** The options as given: pool options (`worker()`, `child()`) or fleet options (`fleet()`). */
  readonly options: PoolOptions | object;
  /** The pool options validated, every field present; undefined for a fleet stage (no pool here). */
  readonly settings: PoolSettings | undefined;
  /** Builds the executors. */
  readonly factory: PoolStageFactory;
  /** Type-only: the function's input and output. */
  readonly __types?: (item: I) => O;
}

/** True when `value` is a {@link PoolStage} (from this copy of weir or another). */
export function isPoolStage(value: unknown): value is PoolStage<unknown, unknown> {
  return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[poolStageBrand] === true;
}

/**
 * The former name of {@link PoolStage}: "remote" now means another machine (a fleet stage), and
 * threads and child processes on this machine are pool stages.
 *
 * @deprecated Use {@link PoolStage}.
 */
export type RemoteStage<I, O> = PoolStage<I, O>;
