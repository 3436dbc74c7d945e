import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";

const procfs = existsSync("/proc/self/stat");

/**
 * Resolves true when the operating system reports process `pid` stopped: by a job-control signal
 * (`SIGSTOP`, `SIGTSTP`, `SIGTTIN`, `SIGTTOU`) or a tracer. Reads `/proc/<pid>/stat` on Linux and
 * asks `ps` elsewhere; false when the process is gone or its state cannot be read.
 */
export async function processStopped(pid: number): Promise<boolean> {
  if (pid <= 0) return false;
  if (procfs) {
    try {
      const stat = await readFile(`/proc/${pid}/stat`, "latin1");
      // "pid (comm) S …": comm may hold spaces and parentheses, the state follows the last ")"
      const state = stat.charAt(stat.lastIndexOf(")") + 2);
      return state === "T" || state === "t";
    } catch {
      return false;
    }
  }
  return new Promise<boolean>((resolve) => {
    execFile("ps", ["-o", "stat=", "-p", String(pid)], (error, stdout) =>
      resolve(error === null && stdout.trim().startsWith("T")),
    );
  });
}
