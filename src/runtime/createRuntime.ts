import { engine } from "../load/engines.js";
import type { Runtime } from "./Runtime.js";
import type { RuntimeOptions } from "./RuntimeOptions.js";

/**
 * Starts a runtime definition: add components with `.component()`, then `start()` and `stop()`.
 *
 * @example
 * ```ts
 * const app = runtime({ signals: { graceMs: 15_000 } })
 *   .component("db", { start: () => connect(), stop: (db) => db.close() })
 *   .component("api", { dependsOn: ["db"], start: ({ deps }) => serve(deps.db), stop: (s) => s.close() });
 * await app.start();
 * ```
 */
export function runtime(options: RuntimeOptions = {}): Runtime {
  return new (engine("runtime").Runtime)(options);
}
