import type { RunDashboardOptions } from "../../run/RunDashboardOptions.js";
import type { Dashboard } from "../Dashboard.js";
import type { WatchedRun } from "../DashboardOptions.js";
import { dashboard } from "./dashboard.js";

let shared: Promise<Dashboard> | undefined;

/**
 * Watches a run on the process's one dashboard for `run({ dashboard })`, starting it on first use
 * (the first run's address wins; its URL is printed on stderr). It never keeps the process alive:
 * the process exits when its work is done, as it would without it.
 */
export async function watchOnSharedDashboard(target: WatchedRun, options: RunDashboardOptions): Promise<string> {
  shared ??= dashboard({ ...options, holdProcess: false });
  try {
    return (await shared).watch(target);
  } catch (error) {
    shared = undefined;
    throw error;
  }
}
