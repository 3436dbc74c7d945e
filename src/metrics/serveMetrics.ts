import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, nonEmptyString, nonNegativeInt, optional, plainObject } from "../options/validate.js";
import { listen } from "./listen.js";
import { promClient } from "./promClient.js";
import { optionKeys } from "../options/optionKeys.js";

/** Options of {@link serveMetrics}. */
export interface MetricsServerOptions {
  /** The port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /** The address to bind. @default "127.0.0.1" (loopback: nothing outside the machine reaches it) */
  readonly host?: string;
  /** The registry to serve. @default prom-client's default registry */
  readonly registry?: Registry;
}

/** A running `/metrics` server. */
export interface MetricsServer extends AsyncDisposable {
  /** Where Prometheus scrapes it: `http://127.0.0.1:<port>/metrics`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves `registry` on `GET /metrics` in Prometheus' text format (what `weir run --metrics-port`
 * does), on loopback unless told otherwise. Other paths answer 404, other methods 405.
 *
 * @throws InvalidOptionError for a bad option; OptionalDependencyMissingError
 *   (`WEIR_OPTIONAL_DEPENDENCY_MISSING`) without a registry when prom-client is not installed; rejects with a
 *   ListenError (`WEIR_LISTEN_FAILED`) when the port cannot be bound
 * @example
 * ```ts
 * const server = await serveMetrics({ port: 9464, registry });
 * // scrape_configs: - targets: ["127.0.0.1:9464"]
 * await server.close();
 * ```
 */
export async function serveMetrics(options: MetricsServerOptions = {}): Promise<MetricsServer> {
  const where = "serveMetrics()";
  const o = plainObject(options, "options", where);
  knownKeys(o, optionKeys<MetricsServerOptions>()("port", "host", "registry"), "", where);
  const port = optional(o.port, 0, (v) => {
    const n = nonNegativeInt(v, "port", where);
    if (n > 65535) throw new InvalidOptionError("port", "a port number (0 to 65535)", v, where);
    return n;
  });
  const host = optional(o.host, "127.0.0.1", (v) => nonEmptyString(v, "host", where));
  const registry =
    optional<Registry | undefined>(o.registry, undefined, (v) => {
      if (typeof (v as Registry | null)?.metrics !== "function")
        throw new InvalidOptionError("registry", "a prom-client Registry", v, where);
      return v as Registry;
    }) ?? promClient(where).register;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path !== "/metrics") {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found: scrape /metrics\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { "content-type": registry.contentType }).end(req.method === "HEAD" ? "" : text),
      (error: unknown) =>
        res.writeHead(500, { "content-type": "text/plain" }).end(`${error instanceof Error ? error.message : error}\n`),
    );
  });
  await listen(server, port, host, "metrics server");
  const bound = (server.address() as AddressInfo).port;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${bound}/metrics`,
    port: bound,
    close,
    [Symbol.asyncDispose]: close,
  };
}
