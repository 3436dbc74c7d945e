import type { RemoteStageFactory } from "../executor/remote/RemoteStage.js";
import type { StageSettings } from "../stage/StageOptions.js";
import type { StageKind } from "../stage/StageKind.js";
import type { SourceInput } from "../source/SourceInput.js";

/** An edge into a node; `key` is set when it leaves a route through one branch. */
export interface GraphEdge {
  readonly from: number;
  readonly key: string | undefined;
}

/** One node of a pipeline graph: the source, a stage, a batcher, a merge point or a route. */
export interface GraphNode {
  readonly id: number;
  readonly name: string;
  readonly kind: StageKind;
  readonly fn: ((item: unknown, ctx: never) => unknown) | undefined;
  /** Set when the stage runs in a worker-thread or child-process pool. */
  readonly remote: { readonly factory: RemoteStageFactory; /** Most items its executor keeps in flight. */ readonly maxWindow: number } | undefined;
  readonly settings: StageSettings | undefined;
  readonly batch: { readonly size: number; readonly maxWaitMs: number | undefined; readonly capacity: number | undefined } | undefined;
  readonly route: { readonly key: (item: unknown) => unknown; readonly keys: readonly string[]; readonly onError: StageSettings["onError"] } | undefined;
  readonly source: SourceInput<unknown> | undefined;
  readonly inputs: GraphEdge[];
}
