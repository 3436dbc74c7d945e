import type { PlanShape } from "../../store/PlanShape.js";
import type { TaskGraph } from "../plan/TaskGraph.js";

/** A workflow's shape for the store: its tasks in order, each with its fingerprint (code, dependencies, context, failure policy). */
export function workflowPlanShape(graph: TaskGraph): PlanShape {
  return graph.defs.map((def) => ({ name: def.name, fingerprint: def.fingerprint }));
}
