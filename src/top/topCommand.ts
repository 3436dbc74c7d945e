import type { CliIo } from "../cli/stdoutToStderr.js";
import { existsSync } from "node:fs";
import { LiveRegistry, type LiveEntry } from "./LiveRegistry.js";
import { registryStore } from "./registerProcess.js";
import type { StoreRegistry } from "./StoreRegistry.js";
import type { RunStatus } from "./RunStatus.js";
import { TopView, type WatchedRun } from "./TopView.js";

/** What `weir top` was asked for. */
export interface TopOptions {
  /** Watch this status address only, instead of every run the registry lists. */
  readonly address: string | undefined;
  /** The store whose running processes to list (`--db`). @default $WEIR_DB, else .weir/weir.db when it exists */
  readonly db?: string | undefined;
  /** Refresh period, ms. @default 1000 */
  readonly intervalMs: number;
  /** Print one frame and exit (no keys, no screen control). */
  readonly once: boolean;
}

/** How long one status request may take before the run shows as not answering. */
const REQUEST_MS = 2_000;

/**
 * `weir top`: a live table of every weir run on this machine, or of the one at `--address`,
 * redrawn every `intervalMs`. Runs are found in the store's `processes` table (`--db`, else
 * `$WEIR_DB`, else `.weir/weir.db` when it exists: processes with a store register there) and in
 * the machine's {@link LiveRegistry} (processes without one). Keys: ↑/↓ (or j/k) pick a run, enter
 * shows it alone (again: all), s stops it (as a first SIGTERM would), q or Ctrl-C quits.
 * Resolves with the exit code.
 */
export async function topCommand(
  options: TopOptions,
  io: CliIo,
  stdin: NodeJS.ReadStream = process.stdin,
): Promise<number> {
  const registry = new LiveRegistry();
  const storePath = registryStore(options.db);
  if (options.db !== undefined && !existsSync(storePath!)) {
    io.err.write(`weir top: no store at ${storePath} (--db)\n`);
    return 1;
  }
  // loaded only when there is a store: the SQLite module is not needed otherwise
  let store: StoreRegistry | undefined;
  if (options.address === undefined && storePath !== undefined && existsSync(storePath)) {
    try {
      store = new (await import("./StoreRegistry.js")).StoreRegistry(storePath);
    } catch (error) {
      io.err.write(`weir top: cannot read the store ${storePath}: ${(error as Error).message}\n`);
      return 1;
    }
  }
  try {
    return await watch(options, io, stdin, () => listed(store?.list() ?? [], registry.list()), store?.path);
  } finally {
    store?.close();
  }
}

/** The processes of the store and of the machine's registry, once each (by pid), oldest first. */
function listed(inStore: readonly LiveEntry[], inRegistry: readonly LiveEntry[]): LiveEntry[] {
  const pids = new Set(inStore.map((e) => e.pid));
  return [...inStore, ...inRegistry.filter((e) => !pids.has(e.pid))].sort(
    (a, b) => a.startedAt - b.startedAt || a.pid - b.pid,
  );
}

async function watch(
  options: TopOptions,
  io: CliIo,
  stdin: NodeJS.ReadStream,
  list: () => LiveEntry[],
  store: string | undefined,
): Promise<number> {
  const view = new TopView();
  let selected = 0;
  let only = false;
  let runs: WatchedRun[] = [];
  let note = "";

  const poll = async (): Promise<void> => {
    const targets =
      options.address !== undefined
        ? [{ address: options.address, label: options.address }]
        : list().map((e) => ({ address: e.address, label: `${e.name}:${e.pid}` }));
    runs = await Promise.all(targets.map((t) => fetchStatus(t.address, t.label)));
    if (selected >= runs.length) selected = Math.max(0, runs.length - 1);
  };
  const frame = (): string[] => [...view.render(runs, selected, only, store), ...(note === "" ? [] : [note])];

  if (options.once) {
    await poll();
    io.out.write(`${frame().join("\n")}\n`);
    return 0;
  }

  const draw = (): void => void io.out.write(`\x1b[H\x1b[2J${frame().join("\n")}\n`);
  let stopped = false;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const quit = (): void => {
    stopped = true;
    resolveDone();
  };
  const onKey = (data: Buffer): void => {
    const key = data.toString();
    if (key === "q" || key === "\u0003") quit();
    else if (key === "j" || key === "\x1b[B") selected = Math.min(runs.length - 1, selected + 1);
    else if (key === "k" || key === "\x1b[A") selected = Math.max(0, selected - 1);
    else if (key === "\r" || key === "\n") only = !only;
    else if (key === "s") {
      const run = runs[selected];
      if (run !== undefined) {
        note = `stopping ${run.status?.name ?? run.label}…`;
        void stopRun(run.address).then((ok) => {
          note = ok ? `asked ${run.status?.name ?? run.label} to stop` : `could not stop ${run.label}`;
          draw();
        });
      }
    } else return;
    draw();
  };
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  stdin.resume();
  stdin.on("data", onKey);
  process.once("SIGINT", quit);
  process.once("SIGTERM", quit);
  io.out.write("\x1b[?1049h\x1b[?25l"); // the alternate screen, no cursor
  try {
    while (!stopped) {
      await poll();
      if (stopped) break;
      draw();
      await Promise.race([done, new Promise((r) => setTimeout(r, options.intervalMs).unref())]);
    }
  } finally {
    io.out.write("\x1b[?25h\x1b[?1049l");
    stdin.off("data", onKey);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
    process.off("SIGINT", quit);
    process.off("SIGTERM", quit);
  }
  return 0;
}

/** Asks a run's status endpoint; a run that does not answer shows why. */
async function fetchStatus(address: string, label: string): Promise<WatchedRun> {
  try {
    const res = await fetch(endpoint(address, "/status"), { signal: AbortSignal.timeout(REQUEST_MS) });
    if (!res.ok) return { address, label, status: undefined, error: `HTTP ${res.status}` };
    return { address, label, status: (await res.json()) as RunStatus, error: undefined };
  } catch (error) {
    return { address, label, status: undefined, error: `not answering (${(error as Error).message})` };
  }
}

async function stopRun(address: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint(address, "/stop"), {
      method: "POST",
      headers: { "x-weir-action": "stop" },
      signal: AbortSignal.timeout(REQUEST_MS),
    });
    return res.status === 202;
  } catch {
    return false;
  }
}

/** The address with `path` in place of its own, keeping its token. */
function endpoint(address: string, path: string): string {
  const url = new URL(address);
  url.pathname = path;
  return url.href;
}
