import type { Executor } from "../executor/Executor.js";
import type { StageSettings } from "../stage/StageOptions.js";
import type { StageKind } from "../stage/StageKind.js";
import type { SourceInput } from "../source/SourceInput.js";

/** An edge into a node; `key` is set when it leaves a route through one branch. */
export interface GraphEdge {
  readonly from: number;
  readonly key: string | undefined;
}

/** Builds the executor of a stage that runs off the main loop (worker threads, child processes). */
export interface RemoteStageFactory {
  /** `worker` or `process`. */
  readonly context: "worker" | "process";
  /** Stages with the same key run in the same module and pool, and may be colocated. */
  readonly colocationKey: string;
  /** Export the stage calls. */
  readonly exportName: string;
  /** Creates the executor for a run of colocated stages ending with this one. */
  create(stage: string, chain: ReadonlyArray<{ kind: "map" | "filter" | "flatMap" | "tap"; exportName: string }>): Executor;
}

/** One node of a pipeline graph: the source, a stage, a batcher, a merge point or a route. */
export interface GraphNode {
  readonly id: number;
  readonly name: string;
  readonly kind: StageKind;
  readonly fn: ((item: unknown, ctx: never) => unknown) | undefined;
  readonly remote: RemoteStageFactory | undefined;
  readonly settings: StageSettings | undefined;
  readonly batch: { readonly size: number; readonly maxWaitMs: number | undefined; readonly capacity: number | undefined } | undefined;
  readonly route: { readonly key: (item: unknown) => unknown; readonly keys: readonly string[]; readonly onError: StageSettings["onError"] } | undefined;
  readonly source: SourceInput<unknown> | undefined;
  readonly inputs: GraphEdge[];
}
