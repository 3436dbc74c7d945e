/**
 * How a child process of a pool kills its own process group when its parent dies, even while the
 * child's main thread is stuck in a user's function (its pipe's "end" event would never be
 * handled then).
 *
 * The parent opens one more descriptor to each child, the lifeline ({@link LIFELINE_FD}), and never
 * writes to it. The child hands it as standard input to a `/bin/sh` that waits to read a line: its
 * read returns only at end of file, when the parent's end closes, which the kernel does when the
 * parent exits however it exits (a SIGKILL included). The shell then kills the group, itself with
 * it. It sleeps in the kernel meanwhile: no polling, no thread in the child (a watchdog thread cost
 * each child about 9 MiB of memory, and started beside it on the same cores: bench/README.md, "A
 * child's watchdog is a shell, not a thread").
 *
 * Where the child may not start processes (Node's permission model without
 * `--allow-child-process`) or there is no `/bin/sh`, a thread watches instead: it polls the
 * child's parent id, which changes when the child is re-parented. Where it may start neither,
 * nothing watches: the closing pipe ends the child once its thread is free again.
 */
import { spawn } from "node:child_process";
import { Worker } from "node:worker_threads";
import { LIFELINE_FD } from "../wire/processEntryArgs.js";

/** Waits for the end of its standard input, then kills the process group named by `$1`. */
const WAIT_AND_KILL = 'read -r _; kill -KILL -"$1"';

/** The thread's check of the parent id (`workerData`), every 250 ms. */
const POLL_PARENT = `const { workerData: ppid } = require("node:worker_threads");
setInterval(() => { if (process.ppid !== ppid) process.kill(-process.pid, "SIGKILL"); }, 250);`;

/**
 * True unless Node's permission model runs without the permission `scope` grants
 * (`process.permission` is there only under the model).
 */
function allowed(scope: "child" | "worker"): boolean {
  const permission = (process as { permission?: { has(scope: string): boolean } }).permission;
  return permission === undefined || permission.has(scope);
}

/** Starts the thread that polls the parent id, where threads are allowed. */
function watchByThread(): void {
  if (!allowed("worker")) return;
  new Worker(POLL_PARENT, { eval: true, workerData: process.ppid, stdout: false, stderr: false }).unref();
}

/** Starts what kills this process's group (it leads one) when the parent dies. */
export function watchParent(): void {
  if (!allowed("child")) {
    watchByThread();
    return;
  }
  try {
    const shell = spawn("/bin/sh", ["-c", WAIT_AND_KILL, "weir-watchdog", String(process.pid)], {
      stdio: [LIFELINE_FD, "ignore", "ignore"],
    });
    shell.once("error", watchByThread); // no shell to start
    shell.unref();
  } catch {
    watchByThread();
  }
}
