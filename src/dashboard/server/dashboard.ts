import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { DashboardError } from "../../errors/DashboardError.js";
import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { isLoopback } from "../../options/isLoopback.js";
import {
  boolean,
  func,
  knownKeys,
  nonEmptyString,
  optional,
  plainObject,
  positiveInt,
} from "../../options/validate.js";
import type { Store } from "../../store/Store.js";
import { isMutating, routeApi, type ApiContext } from "../api/routeApi.js";
import type { Dashboard } from "../Dashboard.js";
import {
  dashboardDefaults,
  type DashboardOptions,
  type ReplayHandler,
  type WatchableRun,
  type WatchedRun,
} from "../DashboardOptions.js";
import { guard } from "../http/guard.js";
import { securityHeaders, sendError } from "../http/respond.js";
import { staticFiles } from "../http/staticFiles.js";
import { isWatchable, LiveRuns } from "../live/LiveRuns.js";

const where = "dashboard()";
const optionKeys = ["runs", "store", "port", "host", "allowRemote", "replay", "sampleMs", "print", "holdProcess"];

/**
 * Serves the web dashboard: live runs of this process (pipelines: a graph with each stage's rate,
 * queue fill, busy share, p50/p99, errors and workers, and a throughput chart; workflows: the DAG
 * with task states and a timeline of attempts), the store's runs and its dead letters (search,
 * show, purge, replay), and a button to stop a live run. Pages update through one server-sent
 * event stream each.
 *
 * It listens on 127.0.0.1 (a free port by default) and prints its URL, which carries a random
 * token: a request without it is refused (401, or 403 with a wrong one), and a mutating request
 * needs a POST with the `x-weir-csrf` header equal to the token, which a form or page from another
 * origin cannot send. Another address needs `allowRemote: true` and prints a warning.
 *
 * @throws InvalidOptionError for a bad option (a non-loopback `host` without `allowRemote`)
 * @throws DashboardError `WEIR_DASHBOARD_LISTEN` when it cannot listen (the port is taken)
 *
 * @example
 * ```ts
 * import { dashboard } from "weir/dashboard";
 * const run = p.run();
 * await using db = await dashboard({ runs: [{ run, plan: p.plan() }], store });
 * await run;
 * ```
 */
export async function dashboard(options: DashboardOptions = {}): Promise<Dashboard> {
  const o = plainObject(options, "options", where);
  knownKeys(o, optionKeys, "", where);
  const port = optional(o["port"], dashboardDefaults.port, (v) =>
    v === 0 ? 0 : checkPort(positiveInt(v, "port", where)),
  );
  const host = optional(o["host"], dashboardDefaults.host, (v) => nonEmptyString(v, "host", where));
  const allowRemote = optional(o["allowRemote"], dashboardDefaults.allowRemote, (v) =>
    boolean(v, "allowRemote", where),
  );
  const sampleMs = optional(o["sampleMs"], dashboardDefaults.sampleMs, (v) => positiveInt(v, "sampleMs", where));
  const holdProcess = optional(o["holdProcess"], dashboardDefaults.holdProcess, (v) =>
    boolean(v, "holdProcess", where),
  );
  const replay = optional<ReplayHandler | undefined>(o["replay"], undefined, (v) =>
    func<ReplayHandler>(v, "replay", where),
  );
  const print = o["print"] === false ? undefined : optional(o["print"], printLine, (v) => func(v, "print", where));
  const store = o["store"] === undefined ? undefined : checkStore(o["store"]);
  const runs = o["runs"] === undefined ? [] : checkRuns(o["runs"]);
  const loopback = isLoopback(host);
  if (!loopback && !allowRemote)
    throw new InvalidOptionError(
      "host",
      "a loopback address (127.0.0.1, ::1, localhost), or allowRemote: true to listen on another",
      host,
      where,
    );

  const token = randomBytes(24).toString("base64url");
  const files = staticFiles(token);
  const live = new LiveRuns(sampleMs);
  for (const run of runs) live.watch(run);
  const ctx: ApiContext = { live, store, replay };
  let allowedHosts: Set<string> | undefined;

  const server = createServer((req, res) => {
    for (const [name, value] of Object.entries(securityHeaders)) res.setHeader(name, value);
    handle(req, res).catch((error: unknown) => sendError(res, error));
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? "/", "http://dashboard.invalid");
    guard(req, url, token, allowedHosts, isMutating(url.pathname));
    if (url.pathname.startsWith("/api/")) return routeApi(ctx, req, res, url);
    if (req.method !== "GET" && req.method !== "HEAD")
      throw new DashboardError("WEIR_DASHBOARD_BAD_REQUEST", `${req.method} ${url.pathname}: only GET here`, {
        status: 405,
      });
    const file = files.get(url.pathname === "/" ? "index.html" : url.pathname.slice(1));
    if (file === undefined) throw new DashboardError("WEIR_DASHBOARD_NOT_FOUND", `no such page: ${url.pathname}`);
    res.writeHead(200, { "content-type": file.type, "content-length": Buffer.byteLength(file.body) });
    res.end(req.method === "HEAD" ? undefined : file.body);
  };
  if (!holdProcess) server.on("connection", (socket) => socket.unref());

  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        resolve();
      });
    });
  } catch (error) {
    live.close();
    const code = (error as { code?: unknown }).code;
    throw new DashboardError("WEIR_DASHBOARD_LISTEN", `dashboard: cannot listen on ${host}:${port} (${String(code)})`, {
      cause: error,
    });
  }
  if (!holdProcess) server.unref();
  const bound = (server.address() as AddressInfo).port;
  const urlHost = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  if (loopback)
    allowedHosts = new Set([urlHost, "127.0.0.1", "localhost", "[::1]"].map((h) => `${h.toLowerCase()}:${bound}`));
  const url = `http://${urlHost}:${bound}/?token=${token}`;
  if (!loopback)
    print?.(
      `weir dashboard: WARNING: listening on ${host}, not loopback: anyone who can reach it and learns the token can stop runs and purge dead letters`,
    );
  print?.(`weir dashboard: ${url}`);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      live.close();
      server.close(() => resolve());
      server.closeAllConnections();
    }));
  return {
    url,
    token,
    port: bound,
    host,
    watch: (run) => {
      if (!isWatchable(run))
        throw new InvalidOptionError(
          "run",
          "a pipeline Run, a WorkflowRun, or { run, plan }",
          run,
          "dashboard.watch()",
        );
      return live.watch(run);
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

function printLine(line: string): void {
  process.stderr.write(`${line}\n`);
}

function checkPort(port: number): number {
  if (port > 65535) throw new InvalidOptionError("port", "0 (a free port) or a port up to 65535", port, where);
  return port;
}

function checkStore(value: unknown): Store {
  const s = value as Partial<Store> | null;
  if (typeof s !== "object" || s === null || typeof s.listRuns !== "function" || typeof s.deadLetters !== "object")
    throw new InvalidOptionError("store", "a Store (memoryStore() or sqliteStore())", value, where);
  return value as Store;
}

function checkRuns(value: unknown): Array<WatchableRun | WatchedRun> {
  if (typeof value !== "object" || value === null || !(Symbol.iterator in value))
    throw new InvalidOptionError("runs", "an array of runs (or of { run, plan })", value, where);
  const runs = [...(value as Iterable<unknown>)];
  runs.forEach((run, i) => {
    if (!isWatchable(run))
      throw new InvalidOptionError(`runs[${i}]`, "a pipeline Run, a WorkflowRun, or { run, plan }", run, where);
  });
  return runs as Array<WatchableRun | WatchedRun>;
}
