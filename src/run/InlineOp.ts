import type { StageContext } from "../stage/StageContext.js";
import type { ErrorPolicy } from "../stage/StageKind.js";
import type { StageCounters } from "../stats/StageCounters.js";

/** A synchronous stage fused into a step's tail: called directly, item by item, in one loop. */
export interface InlineOp {
  readonly kind: "map" | "filter" | "flatMap" | "tap" | "sink";
  readonly fn: (item: unknown, ctx: StageContext) => unknown;
  /** A constant context (attempt 1, the run's signal): fused stages allocate nothing per item. */
  readonly ctx: StageContext;
  readonly onError: ErrorPolicy;
  readonly counters: StageCounters;
}
