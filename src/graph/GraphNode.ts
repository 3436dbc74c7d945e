import type { PoolStageFactory } from "../executor/pool/stage/PoolStage.js";
import type { StageSettings } from "../stage/StageOptions.js";
import type { StageKind } from "../stage/StageKind.js";
import type { SourceInput } from "../source/SourceInput.js";

/** An edge into a node; `key` is set when it leaves a route through one branch. */
export interface GraphEdge {
  /** Id of the node the edge leaves. */
  readonly from: number;
  /** The route branch it leaves through; undefined when `from` is not a route. */
  readonly key: string | undefined;
}

/** One node of a pipeline graph: the source, a stage, a batcher, a merge point or a route. */
export interface GraphNode {
  /** Its index in {@link PipelineGraph.nodes}. */
  readonly id: number;
  /** Its unique name. */
  readonly name: string;
  /** What it does. */
  readonly kind: StageKind;
  /** The stage function (map, filter, flatMap, tap and sink stages on the main loop). */
  readonly fn: ((item: unknown, ctx: never) => unknown) | undefined;
  /**
   * The source text of the function the user gave, where `fn` is not it (a cache's or a
   * `mapBatch`'s wrapper) or there is no `fn` (a function given to `worker()` or `child()`): what a
   * durable run's plan fingerprints in place of `fn`'s.
   */
  readonly fnSource?: string | undefined;
  /** A `mapBatch` stage (a flatMap node): its function, here or in a pool, takes each batch whole. */
  readonly wholeBatches?: true;
  /** Set when the stage runs off the main loop: in a worker-thread or child-process pool, or on a fleet. */
  readonly pool:
    | {
        readonly factory: PoolStageFactory;
        /** Most items its executor keeps in flight. */ readonly maxWindow: number;
      }
    | undefined;
  /** Validated stage options (stages with a function). */
  readonly settings: StageSettings | undefined;
  /** Batch settings (batch nodes). */
  readonly batch:
    | { readonly size: number; readonly maxWaitMs: number | undefined; readonly capacity: number | undefined }
    | undefined;
  /** How it picks branches, the branch names and the error policy (route nodes). */
  readonly route:
    | {
        /** `key` (the default): `key(item)` names the branch; `emit`: `emit(item, ctx)` emits to any; else a built-in strategy. */
        readonly strategy?: "key" | "emit" | "round-robin" | "least-loaded" | undefined;
        /** The key function (strategy `key`). */
        readonly key: ((item: unknown) => unknown) | undefined;
        /** The emitting function (strategy `emit`). */
        readonly emit?: ((item: unknown, ctx: never) => unknown) | undefined;
        readonly keys: readonly string[];
        readonly onError: StageSettings["onError"];
      }
    | undefined;
  /** What the pipeline reads (the source node). */
  readonly source: SourceInput<unknown> | undefined;
  /** The fragment instance it was added by (`enrich`, `outer/inner`), if any: its name starts with it and a `/`. */
  readonly group?: string | undefined;
  /** Edges into the node (several for a merge point). */
  readonly inputs: GraphEdge[];
}
