import { WeirError } from "../../errors/WeirError.js";

/**
 * Redis refused the credentials: a wrong password or ACL user (`WRONGPASS`), none given to a
 * server that needs one (`NOAUTH`), or a user without the rights a command needs (`NOPERM`).
 * Not retried: the same credentials would be refused again.
 */
export class RedisAuthError extends WeirError {
  /** The class name: `error.name`, and what `RedisAuthError.is(e)` matches. */
  static override readonly name: string = "RedisAuthError";
  /** The server, as `host:port` (never the password). */
  readonly server: string;
  /** Who was connecting. */
  readonly where: string;

  constructor(where: string, server: string, reason: string, cause?: unknown) {
    super("WEIR_REDIS_AUTH", `${where}: Redis at ${server} refused the credentials: ${reason}`, { cause });
    this.server = server;
    this.where = where;
  }
}
