import type { RedisOptions } from "ioredis";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";

/**
 * How to reach Redis: a URL, or ioredis options.
 *
 * - `redis://[[user]:password@]host[:port][/db]`: plain TCP; an ACL user and password go in the
 *   URL (`redis://weir:s3cret@redis.internal:6379`), a password alone as `redis://:s3cret@host`.
 * - `rediss://…`: the same over TLS, verified against the system's CAs; for a private CA, pass
 *   options with `tls: { ca }` instead.
 * - ioredis options (`{ host, port, username, password, tls: { ca }, db }`), passed as they are,
 *   except that weir sets its own reconnection (`retryStrategy`, `maxRetriesPerRequest`).
 *
 * @example
 * ```ts
 * fleet(url, "embed", { redis: "rediss://weir:s3cret@redis.internal:6380" })
 * fleet(url, "embed", { redis: { host: "10.0.0.5", port: 6380, tls: { ca: readFileSync("ca.pem") } } })
 * ```
 */
export type RedisConnection = string | RedisOptions;

/** A connection checked once: what to hand ioredis, and how to name the server in messages. */
export interface RedisTarget {
  /** The URL, when one was given. */
  readonly url: string | undefined;
  /** ioredis options (merged after the URL). */
  readonly options: RedisOptions;
  /** `host:port`, never a password: for messages. */
  readonly server: string;
  /** True when the connection uses TLS. */
  readonly tls: boolean;
}

/**
 * Checks a {@link RedisConnection}: a `redis://` / `rediss://` URL, or a plain object of ioredis
 * options. `option` names it in errors (`redis`), `where` the stage or command.
 * @throws InvalidOptionError for anything else (a `http://` URL, a number, a client instance)
 */
export function redisTarget(value: unknown, option: string, where: string): RedisTarget {
  if (typeof value === "string") {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidOptionError(option, "a redis:// or rediss:// URL, or ioredis options", redact(value), where);
    }
    if (url.protocol !== "redis:" && url.protocol !== "rediss:")
      throw new InvalidOptionError(option, "a redis:// or rediss:// URL, or ioredis options", redact(value), where);
    const host = url.hostname === "" ? "localhost" : url.hostname;
    return {
      url: value,
      options: {},
      server: `${url.protocol}//${host}:${url.port === "" ? "6379" : url.port}`,
      tls: url.protocol === "rediss:",
    };
  }
  if (typeof value !== "object" || value === null || Array.isArray(value) || isClient(value))
    throw new InvalidOptionError(
      option,
      "a redis:// or rediss:// URL, or ioredis options (not a client: weir opens connections of its own)",
      value,
      where,
    );
  const o = value as RedisOptions;
  const tls = o.tls !== undefined && o.tls !== null;
  const host = o.path ?? `${o.host ?? "localhost"}:${o.port ?? 6379}`;
  return { url: undefined, options: o, server: `${tls ? "rediss" : "redis"}://${host}`, tls };
}

/** A URL with its password (and user name) replaced by `***`, for messages. */
export function redact(url: string): string {
  return url.replace(/^(rediss?:\/\/)[^@/]*@/, "$1***@");
}

function isClient(value: object): boolean {
  return typeof (value as { sendCommand?: unknown }).sendCommand === "function";
}
