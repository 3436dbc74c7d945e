import type { MetricsSink, MetricsSource } from "../stats/MetricsSink.js";
import { registerProcess } from "../top/registerProcess.js";
import { runStatus } from "../top/RunStatus.js";
import { startStatusServer } from "../top/StatusServer.js";
import type { CliIo } from "./stdoutToStderr.js";

/** What `weir run` sets up to be observed: the `metrics` sink to run with, and its teardown. */
export interface Observation {
  /** Pass as the run's `metrics` option. */
  readonly sink: MetricsSink;
  /** Gives it the run (for its snapshot's state and bottleneck). */
  watch(run: { snapshot(): unknown }): void;
  /** Stops serving and unregisters. */
  close(): Promise<void>;
}

/**
 * Loaded by `weir run` only (the core never loads HTTP code): serves the run's status to
 * `weir top` on loopback and registers the process, with a heartbeat, in the store (the run's,
 * else `$WEIR_DB`, else `.weir/weir.db` when it exists) or, without one, in the machine's
 * registry (see `registerProcess`); with `metricsPort`, also serves prom-client's default
 * registry on `/metrics` there.
 *
 * @param stop what a stop from `weir top` does (the CLI's first-signal stop)
 * @param where the run's store file (a durable run's) and run ids, for the registration
 */
export async function observe(
  name: string,
  metricsPort: number | undefined,
  stop: () => void,
  io: CliIo,
  where: { readonly store?: string | undefined; readonly runIds?: readonly string[] } = {},
): Promise<Observation> {
  let source: MetricsSource | undefined;
  let run: { snapshot(): unknown } | undefined;
  let prom: MetricsSink | undefined;
  let closeMetrics: (() => Promise<void>) | undefined;
  if (metricsPort !== undefined) {
    const { metrics, serveMetrics } = await import("../metrics.js");
    const { promClient } = await import("../metrics/promClient.js");
    promClient("weir run --metrics-port"); // a coded error, naming the flag, when prom-client is missing
    prom = metrics();
    const server = await serveMetrics({ port: metricsPort });
    closeMetrics = () => server.close();
    io.err.write(`weir: metrics on ${server.url}\n`);
  }
  const sink: MetricsSink = {
    attach(s) {
      source = s;
      return prom?.attach(s) ?? (() => undefined);
    },
  };
  const status = await startStatusServer({
    status: () =>
      source === undefined
        ? { pid: process.pid, name, state: "starting", stages: [] }
        : runStatus(source, run?.snapshot()),
    stop,
  });
  const { unregister } = await registerProcess(
    { name, kind: "run", address: status.address, runIds: where.runIds ?? [], startedAt: Date.now() },
    where.store,
    (line) => io.err.write(`${line}\n`),
  );
  return {
    sink,
    watch: (r) => void (run = r),
    close: async () => {
      unregister();
      await Promise.all([status.close(), closeMetrics?.()]);
    },
  };
}
