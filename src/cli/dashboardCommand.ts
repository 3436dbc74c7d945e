import { DashboardError } from "../errors/DashboardError.js";
import { replayDeadLetters } from "../replay/replayDeadLetters.js";
import type { DeadLetterRecord } from "../store/DeadLetterRecord.js";
import type { Store } from "../store/Store.js";
import { loadRunnable, type CliRunnable } from "./loadRunnable.js";
import type { CliIo } from "./stdoutToStderr.js";

/** `weir dashboard`: the store to show, the job that replays its dead letters, and where to listen. */
export interface DashboardCommand {
  readonly kind: "dashboard";
  /** The job module (pipeline or workflow) whose dead letters the page replays; without it replay is off. */
  readonly file?: string | undefined;
  /** `--db`, else the store's default (`$WEIR_DB`, or `.weir/weir.db`). */
  readonly db: string | undefined;
  readonly port: number;
  readonly host: string;
  readonly allowRemote: boolean;
}

/**
 * Serves the dashboard over a SQLite store (its runs, its dead letters) until SIGINT or SIGTERM;
 * prints the URL, token included, on stdout. With a job module (`weir dashboard job.ts`), the
 * dead-letters page replays (and edits and replays) that job's dead letters, as `weir dlq replay
 * --file job.ts` does. Loads the HTTP server and SQLite only here, so the rest of the CLI never
 * does. Resolves with the exit code: 0 once stopped by a signal.
 */
export async function dashboardCommand(command: DashboardCommand, io: CliIo): Promise<number> {
  const { sqliteStore } = await import("../store/sqlite/sqliteStore.js");
  const { dashboard } = await import("../dashboard/server/dashboard.js");
  // the module first: a job that does not load is refused before anything listens
  const job = command.file === undefined ? undefined : await loadRunnable(command.file);
  const store = sqliteStore(command.db === undefined ? {} : { path: command.db });
  let db;
  try {
    db = await dashboard({
      store,
      ...(job === undefined ? {} : { replay: replayWith(job, store) }),
      port: command.port,
      host: command.host,
      allowRemote: command.allowRemote,
      print: (line) => (line.includes("WARNING") ? io.err : io.out).write(`${line}\n`),
    });
  } catch (error) {
    await store.close();
    throw error;
  }
  io.out.write(
    `weir dashboard: store ${store.location}${job === undefined ? " (no job module: replay is off)" : `; replays with ${command.file}`}; Ctrl-C to stop\n`,
  );
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

/**
 * The page's replay through the job: `replayDeadLetters` with the letters' ids, each item as the
 * page sent it (edited or stored). A letter of another pipeline or workflow is refused (400).
 */
function replayWith(job: CliRunnable, store: Store): (letters: readonly DeadLetterRecord[]) => Promise<void> {
  return async (letters) => {
    const other = letters.find((l) => l.runName !== job.name);
    if (other !== undefined)
      throw new DashboardError(
        "WEIR_DASHBOARD_BAD_REQUEST",
        `replay: dead letter ${other.id} belongs to ${other.runKind} "${other.runName}"; this dashboard replays those of "${job.name}" (its job module)`,
      );
    const items = new Map(letters.map((l) => [l.id, l.item]));
    await replayDeadLetters(job, {
      store,
      ids: letters.map((l) => l.id),
      edit: (item, letter) => (items.has(letter.id) ? items.get(letter.id) : item),
    });
  };
}
