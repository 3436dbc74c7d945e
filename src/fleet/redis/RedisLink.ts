import { Redis } from "ioredis";
import type { WeirError } from "../../errors/WeirError.js";
import { RedisAuthError } from "../errors/RedisAuthError.js";
import { RedisTlsError } from "../errors/RedisTlsError.js";
import { RedisUnavailableError } from "../errors/RedisUnavailableError.js";
import type { RedisTarget } from "./RedisConnection.js";

/** Options of a {@link RedisLink}. */
export interface RedisLinkOptions {
  /** Who connects, for messages: `fleet stage "embed"`, `weir worker`. */
  readonly where: string;
  /** How long the link may be down (at start or later) before it gives up. */
  readonly maxOutageMs: number;
  /** `CLIENT SETNAME` (shows in `CLIENT LIST`). */
  readonly name?: string;
}

/** Resets in a row, each right after connecting and before any answer, that say "TLS only". */
const RESETS_MEANING_TLS = 3;

/**
 * One ioredis connection with weir's failure rules:
 *
 * - Reconnects with backoff (25 ms doubling to 1 s) while the server is unreachable, for at most
 *   `maxOutageMs` in a row, at start or mid-run; commands issued meanwhile wait (ioredis' offline
 *   queue) and are sent on reconnection. Past the bound the link gives up: `failure` is a
 *   {@link RedisUnavailableError} naming the last network error, every waiting command rejects,
 *   and `onFailure` handlers run once.
 * - Refused credentials (`WRONGPASS`, `NOAUTH`) give up at once with a {@link RedisAuthError};
 *   a refused certificate or handshake, or a plain connection reset before any answer several
 *   times in a row (a TLS-only port), with a {@link RedisTlsError}.
 */
export class RedisLink {
  readonly client: Redis;
  readonly target: RedisTarget;
  readonly #options: RedisLinkOptions;
  /** Set once the link gave up. */
  #failure: WeirError | undefined;
  #lastError: unknown;
  /** When the current outage began (the link is down); undefined while connected. */
  #outageSince: number | undefined = Date.now();
  #outageTimer: NodeJS.Timeout | undefined;
  #everReady = false;
  /** TCP connected in the current attempt (reset before an answer counts toward TLS). */
  #connected = false;
  #resetsInARow = 0;
  #closed = false;
  readonly #readyWaiters: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  readonly #failureHandlers: Array<(error: WeirError) => void> = [];
  readonly #reconnectHandlers: Array<() => void> = [];

  constructor(target: RedisTarget, options: RedisLinkOptions) {
    this.target = target;
    this.#options = options;
    const settings = {
      ...target.options,
      ...(options.name === undefined ? {} : { connectionName: options.name }),
      maxRetriesPerRequest: null,
      enableOfflineQueue: true,
      enableReadyCheck: true,
      lazyConnect: true,
      retryStrategy: (times: number) =>
        this.#failure !== undefined || this.#closed ? null : Math.min(1000, 25 * 2 ** Math.min(times, 6)),
    };
    this.client = target.url === undefined ? new Redis(settings) : new Redis(target.url, settings);
    this.client.on("connect", () => {
      this.#connected = true;
    });
    this.client.on("ready", () => this.#ready());
    this.client.on("error", (error: unknown) => this.#error(error));
    this.client.on("close", () => this.#down());
    this.client.on("end", () => {
      if (!this.#closed) this.#giveUp(this.#unavailable("the connection ended"));
    });
    guardSockets(this.client);
    this.client.connect().catch(() => undefined); // failures arrive as events, handled above
    this.#armOutage();
  }

  /** The error the link gave up with, if it did. */
  get failure(): WeirError | undefined {
    return this.#failure;
  }

  /** True while connected and ready. */
  get up(): boolean {
    return this.#outageSince === undefined && this.#failure === undefined;
  }

  /** Resolves once connected (the first time); rejects with the error the link gave up with. */
  ready(): Promise<void> {
    if (this.#failure !== undefined) return Promise.reject(this.#failure);
    if (this.#everReady) return Promise.resolve();
    return new Promise((resolve, reject) => this.#readyWaiters.push({ resolve, reject }));
  }

  /** Runs `handler` once when the link gives up. */
  onFailure(handler: (error: WeirError) => void): void {
    if (this.#failure !== undefined) handler(this.#failure);
    else this.#failureHandlers.push(handler);
  }

  /** Runs `handler` on every reconnection after the first connection. */
  onReconnect(handler: () => void): void {
    this.#reconnectHandlers.push(handler);
  }

  /**
   * The error a failed command should surface: the link's own when it gave up, otherwise
   * `error` itself (a command's reply error).
   */
  explain(error: unknown): unknown {
    return this.#failure ?? error;
  }

  /** Closes the connection (QUIT when connected, at most `waitMs`; then a hard disconnect). */
  async close(waitMs = 1000): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#outageTimer);
    if (this.up) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.client.quit().catch(() => undefined),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs))),
      ]);
      clearTimeout(timer);
    }
    this.client.disconnect();
    const error = this.#failure ?? this.#unavailable("the connection was closed");
    for (const w of this.#readyWaiters.splice(0)) w.reject(error);
  }

  #ready(): void {
    const reconnected = this.#everReady;
    this.#everReady = true;
    this.#outageSince = undefined;
    this.#resetsInARow = 0;
    clearTimeout(this.#outageTimer);
    this.#outageTimer = undefined;
    for (const w of this.#readyWaiters.splice(0)) w.resolve();
    if (reconnected) for (const h of this.#reconnectHandlers) h();
  }

  #down(): void {
    const resetEarly = this.#connected && this.#outageSince !== undefined && isReset(this.#lastError);
    this.#connected = false;
    if (this.#closed || this.#failure !== undefined) return;
    if (resetEarly && !this.target.tls) {
      if (++this.#resetsInARow >= RESETS_MEANING_TLS) {
        this.#giveUp(
          new RedisTlsError(
            this.#options.where,
            this.target.server,
            `the server reset ${this.#resetsInARow} connections in a row before answering anything, as a TLS-only port does: connect with rediss://`,
            this.#lastError,
          ),
        );
        return;
      }
    } else if (!resetEarly) this.#resetsInARow = 0;
    this.#outageSince ??= Date.now();
    this.#armOutage();
  }

  #armOutage(): void {
    if (this.#outageTimer !== undefined || this.#closed) return;
    this.#outageTimer = setTimeout(() => {
      this.#outageTimer = undefined;
      if (this.#outageSince === undefined || this.#failure !== undefined) return;
      const reason = this.#lastError instanceof Error ? this.#lastError.message : "no connection";
      const hint = this.target.tls && /ETIMEDOUT/.test(reason) ? " (no TLS handshake: is it a TLS port?)" : "";
      this.#giveUp(
        this.#unavailable(
          `${this.#everReady ? "lost" : "not reached"} for ${this.#options.maxOutageMs} ms (last error: ${reason})${hint}`,
        ),
      );
    }, this.#options.maxOutageMs);
  }

  #error(error: unknown): void {
    this.#lastError = error;
    if (this.#failure !== undefined || this.#closed) return;
    const message = error instanceof Error ? error.message : String(error);
    const code = (error as { code?: unknown }).code;
    if (/^(WRONGPASS|NOAUTH|NOPERM)/.test(message)) {
      this.#giveUp(new RedisAuthError(this.#options.where, this.target.server, message, error));
    } else if (isTlsFailure(code, message)) {
      this.#giveUp(new RedisTlsError(this.#options.where, this.target.server, message, error));
    }
  }

  #unavailable(reason: string): RedisUnavailableError {
    return new RedisUnavailableError(this.#options.where, this.target.server, reason, this.#lastError);
  }

  #giveUp(error: WeirError): void {
    if (this.#failure !== undefined) return;
    this.#failure = error;
    clearTimeout(this.#outageTimer);
    this.#outageTimer = undefined;
    this.client.disconnect();
    for (const w of this.#readyWaiters.splice(0)) w.reject(error);
    for (const h of this.#failureHandlers.splice(0)) h(error);
  }
}

function isReset(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === "ECONNRESET" || code === "EPIPE";
}

function isTlsFailure(code: unknown, message: string): boolean {
  if (typeof code === "string") {
    if (code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS") || code === "EPROTO") return true;
    if (/CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|DEPTH_ZERO/.test(code)) return true;
  }
  return /wrong version number|certificate|handshake/i.test(message);
}

/**
 * ioredis listens to each socket's `error` event once: a TLS socket that fails its handshake
 * (a refused certificate) can emit a second error (the server's alert) with nobody listening,
 * which would crash the process. Every socket the client opens gets a listener of its own.
 */
function guardSockets(client: Redis): void {
  const connector = (client as unknown as { connector?: { connect?: (...args: unknown[]) => Promise<unknown> } })
    .connector;
  const connect = connector?.connect;
  if (connector === undefined || typeof connect !== "function") return;
  connector.connect = (...args: unknown[]) =>
    connect.apply(connector, args).then((stream) => {
      (stream as { on?: (event: string, listener: () => void) => void }).on?.("error", () => undefined);
      return stream;
    });
}
