import type { CliIo } from "./stdoutToStderr.js";

/** `weir dashboard`: the store to show and where to listen. */
export interface DashboardCommand {
  readonly kind: "dashboard";
  /** `--db`, else the store's default (`$WEIR_DB`, or `.weir/weir.db`). */
  readonly db: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly allowRemote: boolean;
}

/**
 * Serves the dashboard over a SQLite store (its runs, its dead letters) until SIGINT or SIGTERM;
 * prints the URL, token included, on stdout. Loads the HTTP server and SQLite only here, so the
 * rest of the CLI never does. Resolves with the exit code: 0 once stopped by a signal.
 */
export async function dashboardCommand(command: DashboardCommand, io: CliIo): Promise<number> {
  const { sqliteStore } = await import("../store/sqlite/sqliteStore.js");
  const { dashboard } = await import("../dashboard/server/dashboard.js");
  const store = sqliteStore(command.db === undefined ? {} : { path: command.db });
  let db;
  try {
    db = await dashboard({
      store,
      port: command.port,
      host: command.host,
      allowRemote: command.allowRemote,
      print: (line) => (line.includes("WARNING") ? io.err : io.out).write(`${line}\n`),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  io.out.write(`weir dashboard: store ${store.location}; Ctrl-C to stop\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  await db.close();
  await store.close();
  return 0;
}
