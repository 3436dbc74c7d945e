/**
 * weir/dashboard: a web dashboard of live runs, the store's runs and its dead letters, served on
 * loopback with a token. A subpath of its own so that `weir` itself never loads the HTTP server;
 * `run({ dashboard: true })` loads it only when asked.
 *
 * @example
 * ```ts
 * import { dashboard } from "weir/dashboard";
 * await using db = await dashboard({ store, runs: [{ run, plan: p.plan() }] });
 * ```
 * @packageDocumentation
 */
export { dashboard } from "./dashboard/server/dashboard.js";
export { isLoopback } from "./options/isLoopback.js";
export type { Dashboard } from "./dashboard/Dashboard.js";
export {
  dashboardDefaults,
  type DashboardOptions,
  type WatchableRun,
  type WatchableWorkflowRun,
  type WatchedRun,
  type ReplayHandler,
} from "./dashboard/DashboardOptions.js";
export type { RunSummary } from "./dashboard/live/RunSummary.js";
export { DashboardError, type DashboardErrorCode } from "./errors/DashboardError.js";
