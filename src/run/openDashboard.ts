import type { ExecutionPlan } from "../plan/ExecutionPlan.js";
import type { WorkflowPlan } from "../workflow/plan/WorkflowPlan.js";
import type { Run } from "./Run.js";
import type { RunDashboardOptions } from "./RunDashboardOptions.js";

/** What {@link openDashboard} shows: a pipeline run or a workflow run, with its plan (made only when shown). */
export interface DashboardTarget {
  readonly run: object;
  readonly plan: () => ExecutionPlan | WorkflowPlan;
}

/**
 * Shows `target` on the process's shared dashboard when `setting` asks for one. The dashboard
 * (`weir/dashboard`, an HTTP server) is loaded here with a dynamic import, only when asked: the
 * core never loads it otherwise. A dashboard that cannot start prints why on stderr; the run goes
 * on.
 */
export function openDashboard(target: DashboardTarget, setting: boolean | RunDashboardOptions | undefined): void {
  if (setting === undefined || setting === false) return;
  const options = setting === true ? {} : setting;
  const shown = { run: target.run as Run, plan: target.plan() as ExecutionPlan };
  import("../dashboard/server/sharedDashboard.js")
    .then((m) => m.watchOnSharedDashboard(shown, options))
    .catch((error: unknown) => {
      process.stderr.write(`weir dashboard: ${error instanceof Error ? error.message : String(error)}\n`);
    });
}
