import type { WatchableRun, WatchedRun } from "./DashboardOptions.js";

/**
 * A running dashboard. Close it with `close()` or `await using`.
 *
 * @example
 * ```ts
 * await using db = await dashboard({ store });
 * db.watch({ run: p.run(), plan: p.plan() });
 * console.log(db.url);
 * ```
 */
export interface Dashboard extends AsyncDisposable {
  /** The page's URL, token included: `http://127.0.0.1:<port>/?token=<token>`. */
  readonly url: string;
  /** The random token every request must carry (query `token` or header `x-weir-token`). */
  readonly token: string;
  /** The port it listens on. */
  readonly port: number;
  /** The address it listens on. */
  readonly host: string;
  /** Shows a live run of this process; returns its id on the page (`live-<n>`). */
  watch(run: WatchableRun | WatchedRun): string;
  /** Stops listening and ends every open page's stream. Idempotent. */
  close(): Promise<void>;
}
