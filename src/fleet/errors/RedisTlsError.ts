import { WeirError } from "../../errors/WeirError.js";

/**
 * TLS went wrong between weir and Redis: the server's certificate was refused (an unknown CA, a
 * wrong host name: pass `tls: { ca }` in the connection options), the handshake failed, or a
 * plain `redis://` connection was reset before Redis answered anything, as a TLS-only port does
 * (connect with `rediss://`). Not retried.
 */
export class RedisTlsError extends WeirError {
  /** The class name: `error.name`, and what `RedisTlsError.is(e)` matches. */
  static override readonly name: string = "RedisTlsError";
  /** The server, as `host:port`. */
  readonly server: string;
  /** Who was connecting. */
  readonly where: string;

  constructor(where: string, server: string, reason: string, cause?: unknown) {
    super("WEIR_REDIS_TLS", `${where}: TLS with Redis at ${server} failed: ${reason}`, { cause });
    this.server = server;
    this.where = where;
  }
}
