import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { listen } from "../metrics/listen.js";

/** What a status server serves about its run. */
export interface StatusSource {
  /** The run's status now, as JSON-able data. */
  status(): unknown;
  /** Stops the run (as a first SIGTERM would). */
  stop(): void;
}

/** A running status server. */
export interface StatusServer {
  /** Its address with its token: `http://127.0.0.1:<port>/?token=<hex>`. */
  readonly address: string;
  close(): Promise<void>;
}

/**
 * Serves one run's status to `weir top` on loopback: `GET /status` (JSON) and `POST /stop`. Every
 * request must carry the server's random token (`Authorization: Bearer <token>` or `?token=`):
 * other users of the machine cannot read or stop the run. `/stop` also needs the header
 * `X-Weir-Action: stop`, which a browser cannot send across origins without a preflight.
 */
export async function startStatusServer(source: StatusSource): Promise<StatusServer> {
  const token = randomBytes(16).toString("hex");
  const expected = Buffer.from(token);
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const given = req.headers.authorization?.replace(/^Bearer /, "") ?? url.searchParams.get("token") ?? "";
    const buffer = Buffer.from(given);
    if (buffer.length !== expected.length || !timingSafeEqual(buffer, expected)) {
      res.writeHead(401, { "content-type": "text/plain" }).end("a token is needed\n");
      return;
    }
    if (url.pathname === "/status" && req.method === "GET") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(source.status()));
      return;
    }
    if (url.pathname === "/stop" && req.method === "POST") {
      if (req.headers["x-weir-action"] !== "stop") {
        res.writeHead(403, { "content-type": "text/plain" }).end("X-Weir-Action: stop is needed\n");
        return;
      }
      source.stop();
      res.writeHead(202, { "content-type": "text/plain" }).end("stopping\n");
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
  });
  await listen(server, 0, "127.0.0.1", "status server");
  server.unref();
  const port = (server.address() as AddressInfo).port;
  return {
    address: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
