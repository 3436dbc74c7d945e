import type { OverflowPolicy } from "../channel/Channel.js";
import type { ExecutionContext } from "../stage/StageContext.js";
import type { StageKind } from "../stage/StageKind.js";

/** How one stage is placed in the plan, and why. */
export interface PlannedStage {
  readonly name: string;
  readonly kind: StageKind;
  readonly context: ExecutionContext;
  /** The step it runs in. */
  readonly step: number;
  /** True when it runs in another stage's step, with no channel or per-item promise before it. */
  readonly fused: boolean;
  /** Why it was fused or given a step of its own. */
  readonly reason: string;
}

/** One step: a head that produces items, the stages fused after it, and where output goes. */
export interface PlanStep {
  readonly id: number;
  /** The stage that heads the step. */
  readonly head: string;
  /** `source` pulls the source; `stage` runs a concurrent stage; `batch` groups; `channel` reads a channel (merge points, fused runs after a fan-out). */
  readonly headKind: "source" | "stage" | "batch" | "channel";
  readonly context: ExecutionContext;
  /** Items in flight at most (stage heads). */
  readonly concurrency: number;
  /** Synchronous stages fused after the head, in order. */
  readonly fused: readonly string[];
  /** The bounded channel in front of the step (null for the source step). */
  readonly input: {
    readonly capacity: number;
    readonly overflow: OverflowPolicy;
    readonly queue: "fifo" | "priority" | "aging-priority" | "fair";
    /** Steps that feed it. */
    readonly from: readonly number[];
  } | null;
  /** Steps fed by this one; `route` names the route that picks among them per item. */
  readonly output: { readonly to: readonly number[]; readonly route: string | null };
}

/**
 * A compiled pipeline: plain, JSON-serialisable data. `weir plan <file>` prints it.
 */
export interface ExecutionPlan {
  readonly pipeline: string;
  readonly steps: readonly PlanStep[];
  readonly stages: readonly PlannedStage[];
}
