import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";

/** How often a registered process rewrites its entry. */
export const HEARTBEAT_MS = 1_000;
/** An entry not rewritten for this long belongs to a process that is gone or stuck. */
export const STALE_MS = 10_000;

/** A running weir process, as it registers itself for `weir top`. */
export interface LiveEntry {
  readonly pid: number;
  readonly host: string;
  /** The pipeline's or workflow's name. */
  readonly name: string;
  readonly kind: string;
  /** Its status endpoint, token included (`http://127.0.0.1:<port>/?token=…`). */
  readonly address: string;
  /** The ids of its runs in the store (a durable run's), when it has any. */
  readonly runIds?: readonly string[];
  /** Wall-clock ms. */
  readonly startedAt: number;
  /** Wall-clock ms of its last heartbeat. */
  readonly heartbeatAt: number;
}

/**
 * The machine's registry of the running weir processes that have no store (a process with one
 * registers in it: see `registerProcess`): one small JSON file per process in a directory only
 * this user can read (`$WEIR_RUN_DIR`, or `<tmp>/weir-<uid>/runs`), rewritten every
 * {@link HEARTBEAT_MS} and removed when the process ends. `weir top` lists it; an entry whose
 * process is gone (no such pid, or no heartbeat for {@link STALE_MS}) is removed by the reader.
 */
export class LiveRegistry {
  readonly dir: string;

  constructor(dir: string = defaultRunDir()) {
    this.dir = dir;
  }

  /** Registers this process; returns what unregisters it (its heartbeat stops). */
  register(entry: Omit<LiveEntry, "pid" | "host" | "heartbeatAt">): () => void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${process.pid}.json`);
    const write = (): void => {
      const full: LiveEntry = { ...entry, pid: process.pid, host: hostname(), heartbeatAt: Date.now() };
      try {
        writeFileSync(file, JSON.stringify(full), { mode: 0o600 });
      } catch {
        // a registry that cannot be written only hides this run from `weir top`
      }
    };
    write();
    const timer = setInterval(write, HEARTBEAT_MS).unref();
    let done = false;
    const remove = (): void => {
      if (done) return;
      done = true;
      clearInterval(timer);
      rmSync(file, { force: true });
    };
    process.once("exit", remove);
    return () => {
      process.off("exit", remove);
      remove();
    };
  }

  /** The live entries, oldest first; those of processes that are gone are removed. */
  list(now = Date.now()): LiveEntry[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((n) => n.endsWith(".json"));
    } catch {
      return [];
    }
    const live: LiveEntry[] = [];
    for (const name of names) {
      const file = join(this.dir, name);
      let entry: LiveEntry;
      try {
        entry = JSON.parse(readFileSync(file, "utf8")) as LiveEntry;
      } catch {
        continue; // being written
      }
      if (now - entry.heartbeatAt > STALE_MS || (entry.host === hostname() && !alive(entry.pid))) {
        rmSync(file, { force: true });
        continue;
      }
      live.push(entry);
    }
    return live.sort((a, b) => a.startedAt - b.startedAt || a.pid - b.pid);
  }
}

/** `$WEIR_RUN_DIR`, or `<tmp>/weir-<uid>/runs`. */
export function defaultRunDir(): string {
  const env = process.env.WEIR_RUN_DIR;
  if (env !== undefined && env !== "") return env;
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return join(tmpdir(), `weir-${uid}`, "runs");
}

/** True when a process `pid` exists on this host (EPERM: it does, another user's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as { code?: string }).code === "EPERM";
  }
}
