import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ended } from "../helpers.js";

/** The package root, and the `weir` command in it. */
export const root = fileURLToPath(new URL("../..", import.meta.url));
export const bin = `${root}bin/weir.js`;

/** Runs `weir ...args` to its end (a hang guard of 2 minutes); returns its exit code and output. */
export function weir(args: readonly string[], cwd = root): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: "utf8", timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A running `weir` process: its output so far, a wait for a line on stderr, and its exit. */
export interface WeirProcess {
  readonly pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves once stderr contains `text`; rejects if the process exits first. */
  stderrHas(text: string): Promise<void>;
  /** Resolves with the exit code (and signal), or rejects after `guardMs` (then the process is killed). */
  exit(guardMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill(signal: NodeJS.Signals): void;
}

/** Starts `weir ...args` in the background. */
export function startWeir(args: readonly string[]): WeirProcess {
  const child = spawn(process.execPath, [bin, ...args], { cwd: root });
  let out = "";
  let err = "";
  const waiters: Array<() => void> = [];
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => {
    err += d.toString();
    for (const w of waiters.splice(0)) w();
  });
  const exited = ended(child);
  return {
    pid: child.pid!,
    stdout: () => out,
    stderr: () => err,
    stderrHas(text: string): Promise<void> {
      const seen = new Promise<void>((resolve) => {
        const check = (): void => {
          if (err.includes(text)) resolve();
          else waiters.push(check);
        };
        check();
      });
      const gone = exited.then(() => {
        if (!err.includes(text)) throw new Error(`weir exited before writing "${text}"; stderr:\n${err}`);
      });
      return Promise.race([seen, gone]);
    },
    async exit(guardMs: number) {
      let timer: NodeJS.Timeout | undefined;
      const guard = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          child.kill("SIGKILL");
          reject(new Error(`weir ${args.join(" ")} did not exit within ${guardMs} ms; stderr:\n${err}`));
        }, guardMs);
      });
      try {
        return await Promise.race([exited, guard]);
      } finally {
        clearTimeout(timer);
      }
    },
    kill: (signal) => void child.kill(signal),
  };
}
