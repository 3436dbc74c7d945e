import { WeirError } from "../../errors/WeirError.js";

/**
 * Redis could not be reached: at start, or for longer than `maxOutageMs` mid-run (the connection
 * retried with backoff until then). Items a fleet stage still held fail with it (then the stage's
 * retry and onError policies apply); nothing it had already settled is undone. `where` says
 * which connection (a fleet stage, a stream source, a worker), `server` the address (no password).
 *
 * @example
 * ```ts
 * run.catch((e) => { if (WeirError.is(e) && e.cause instanceof RedisUnavailableError) alert(e.cause.server); });
 * ```
 */
export class RedisUnavailableError extends WeirError {
  /** The class name: `error.name`, and what `RedisUnavailableError.is(e)` matches. */
  static override readonly name: string = "RedisUnavailableError";
  /** The server, as `host:port` (or the URL without its password). */
  readonly server: string;
  /** Who was connecting: `fleet stage "embed"`, `weir worker`, `stream source "orders"`. */
  readonly where: string;

  constructor(where: string, server: string, reason: string, cause?: unknown) {
    super("WEIR_REDIS_UNAVAILABLE", `${where}: Redis at ${server} is unavailable: ${reason}`, { cause });
    this.server = server;
    this.where = where;
  }
}
