import type Database from "better-sqlite3";
import { hostname } from "node:os";
import { openDatabase } from "../store/sqlite/openDatabase.js";
import { HEARTBEAT_MS, STALE_MS, alive, type LiveEntry } from "./LiveRegistry.js";

/** How long a heartbeat waits for another connection's write lock before it skips this beat. */
const BUSY_MS = 200;

interface ProcessRow {
  host: string;
  pid: number;
  name: string;
  kind: string;
  address: string;
  run_ids: string;
  started_at: number;
  heartbeat_at: number;
}

/**
 * The running weir processes of a SQLite store, in its `processes` table (schema version 2): one
 * row per process, keyed by host and pid, holding its status address (token included), its run
 * ids and its last heartbeat. A process rewrites its row every {@link HEARTBEAT_MS} and deletes
 * it when it ends; a reader ignores, and deletes, a row whose heartbeat is older than
 * {@link STALE_MS} or whose process (on this host) is gone. A heartbeat that finds the file locked
 * for {@link BUSY_MS} is skipped, never waited for longer: the run goes on.
 */
export class StoreRegistry {
  readonly path: string;
  readonly #db: Database.Database;

  /** Opens (creating and migrating it when needed) the store at `path`; throws a `StoreError` when it cannot. */
  constructor(path: string) {
    this.path = path;
    this.#db = openDatabase({
      path,
      durability: "normal",
      busyTimeoutMs: BUSY_MS,
      maxBytes: undefined,
      manualWalCheckpoints: false,
    });
  }

  /**
   * Registers this process; returns what unregisters it (its heartbeat stops, its row goes, the
   * connection closes). Also unregisters when the process exits.
   */
  register(entry: Omit<LiveEntry, "pid" | "host" | "heartbeatAt">): () => void {
    const host = hostname();
    const upsert = this.#db.prepare(
      `INSERT INTO processes (host, pid, name, kind, address, run_ids, started_at, heartbeat_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (host, pid) DO UPDATE SET name = excluded.name, kind = excluded.kind,
         address = excluded.address, run_ids = excluded.run_ids, started_at = excluded.started_at,
         heartbeat_at = excluded.heartbeat_at`,
    );
    const runIds = JSON.stringify(entry.runIds ?? []);
    const beat = (): void => {
      try {
        upsert.run(host, process.pid, entry.name, entry.kind, entry.address, runIds, entry.startedAt, Date.now());
      } catch {
        // busy, or the file went away: this beat is skipped; a run is never failed by `weir top`
      }
    };
    beat();
    const timer = setInterval(beat, HEARTBEAT_MS).unref();
    let done = false;
    const remove = (): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      try {
        this.#db.prepare("DELETE FROM processes WHERE host = ? AND pid = ?").run(host, process.pid);
      } catch {
        // a reader prunes the row once its heartbeat is stale
      }
      this.#db.close();
    };
    process.once("exit", remove);
    return () => {
      process.off("exit", remove);
      remove();
    };
  }

  /** The live processes of this host, oldest first; rows of processes that are gone are deleted. */
  list(now = Date.now()): LiveEntry[] {
    const rows = this.#db.prepare("SELECT * FROM processes ORDER BY started_at, pid").all() as ProcessRow[];
    const here = hostname();
    const live: LiveEntry[] = [];
    const prune = this.#db.prepare("DELETE FROM processes WHERE host = ? AND pid = ? AND heartbeat_at = ?");
    for (const row of rows) {
      const stale = now - row.heartbeat_at > STALE_MS || (row.host === here && !alive(row.pid));
      if (stale) {
        try {
          prune.run(row.host, row.pid, row.heartbeat_at);
        } catch {
          // busy: the next reader prunes it
        }
        continue;
      }
      if (row.host !== here) continue; // its status address is another machine's loopback
      live.push({
        pid: row.pid,
        host: row.host,
        name: row.name,
        kind: row.kind,
        address: row.address,
        runIds: parseIds(row.run_ids),
        startedAt: row.started_at,
        heartbeatAt: row.heartbeat_at,
      });
    }
    return live;
  }

  /** Closes the connection (a registered process's own connection closes when it unregisters). */
  close(): void {
    if (this.#db.open) this.#db.close();
  }
}

function parseIds(text: string): string[] {
  try {
    const ids = JSON.parse(text) as unknown;
    return Array.isArray(ids) ? ids.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}
