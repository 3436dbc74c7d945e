/**
 * The process groups of live child workers, killed when the parent exits (or dies of a signal
 * nobody else handles). Each child process is
 * spawned detached, as the leader of its own group, so `kill(-pid)` reaches everything it
 * started. Handlers are installed once, while at least one group is alive, and removed after.
 * A child also kills its own group when its pipe to the parent closes (the parent was killed
 * with SIGKILL and ran no handler).
 */
const groups = new Set<number>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
let installed = false;

/** Kills process group `pid` with SIGKILL; a group that is already gone is fine. */
export function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // ESRCH: nothing left in the group
  }
}

function killAll(): void {
  for (const pid of groups) killGroup(pid);
  groups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  // Someone else handles the signal (a graceful stop, like the CLI's Ctrl-C): the process goes
  // on, and so do the children its stages still need; "exit" kills them if it ends.
  if (process.listenerCount(signal) > 1) return;
  // Nobody else does: keep its default behaviour (end the process), children first.
  killAll();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  process.on("exit", killAll);
  for (const s of SIGNALS) process.on(s, onSignal);
}

function uninstall(): void {
  if (!installed) return;
  installed = false;
  process.off("exit", killAll);
  for (const s of SIGNALS) process.off(s, onSignal);
}

/** Starts tracking a child's process group. */
export function trackGroup(pid: number): void {
  groups.add(pid);
  install();
}

/** Stops tracking a group (its leader exited and the group was killed). */
export function untrackGroup(pid: number): void {
  groups.delete(pid);
  if (groups.size === 0) uninstall();
}

/** How many groups are tracked (for tests). */
export function trackedGroups(): number {
  return groups.size;
}
