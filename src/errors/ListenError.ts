import { WeirError } from "./WeirError.js";

/**
 * A server weir starts on loopback (`/metrics`, a run's status endpoint) could not listen: the
 * port is taken (`EADDRINUSE`), not allowed (`EACCES`), or the address is not on this machine.
 *
 * @example
 * ```
 * ListenError: metrics server: cannot listen on 127.0.0.1:9464: the port is in use (EADDRINUSE)
 * ```
 */
export class ListenError extends WeirError {
  /** The class name: `error.name`, and what `ListenError.is(e)` matches. */
  static override readonly name: string = "ListenError";
  /** What was starting: `"metrics server"`, `"status server"`. */
  readonly server: string;
  /** The address and port asked for. */
  readonly address: string;
  /** The system's code (`"EADDRINUSE"`…), when it gave one. */
  readonly systemCode: string | undefined;

  constructor(server: string, address: string, cause: unknown) {
    const systemCode = (cause as { code?: unknown } | null)?.code;
    const code = typeof systemCode === "string" ? systemCode : undefined;
    const why =
      code === "EADDRINUSE"
        ? "the port is in use"
        : code === "EACCES"
          ? "not allowed"
          : cause instanceof Error
            ? cause.message
            : String(cause);
    super(
      "WEIR_LISTEN_FAILED",
      `${server}: cannot listen on ${address}: ${why}${code === undefined ? "" : ` (${code})`}`,
      {
        cause,
      },
    );
    this.server = server;
    this.address = address;
    this.systemCode = code;
  }
}
