import type { Server } from "node:http";
import { ListenError } from "../errors/ListenError.js";

// no prom-client here: `weir run`'s status server (weir top) uses it, and prom-client is an
// optional peer that only `--metrics-port` and `weir/metrics` need

/** Listens, or rejects with a ListenError. */
export function listen(server: Server, port: number, host: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: unknown): void => reject(new ListenError(what, `${host}:${port}`, error));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve();
    });
  });
}
