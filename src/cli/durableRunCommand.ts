import { randomUUID } from "node:crypto";
import type { CliRunnable } from "./loadRunnable.js";
import { runCommand, type RunCommandOptions } from "./runCommand.js";
import type { CliIo } from "./stdoutToStderr.js";

/** `weir run --durable` and `weir resume`: what they were asked for. */
export interface DurableRunCommandOptions extends RunCommandOptions {
  /** The module file, as given (it goes into the resume command). */
  readonly file: string;
  readonly durable: { readonly resume: string | undefined; readonly force: boolean };
}

/**
 * Runs `runnable` durably in the SQLite store (`$WEIR_DB`, or `.weir/weir.db`): a new run under a
 * fresh id (`weir run --durable`), or the run `durable.resume` continued (`weir resume`). Prints
 * the run id and the command that resumes it when it starts, again on the first SIGINT/SIGTERM,
 * and at the end when the run did not complete. Resolves with `runCommand`'s exit code.
 */
export async function durableRunCommand(
  runnable: CliRunnable,
  options: DurableRunCommandOptions,
  io: CliIo,
): Promise<number> {
  // loaded only here: the rest of the CLI never loads the native module
  const { sqliteStore } = await import("../sqlite.js");
  const store = sqliteStore();
  const runId = options.durable.resume ?? randomUUID();
  const env = process.env.WEIR_DB === undefined ? "" : `WEIR_DB=${shellQuote(process.env.WEIR_DB)} `;
  const resumeLine = `${env}weir resume ${shellQuote(runId)} ${shellQuote(options.file)}`;
  let hinted = false;
  const hint = (): void => {
    hinted = true;
    io.err.write(`weir: resume the run with: ${resumeLine}\n`);
  };
  io.err.write(
    `weir: durable run ${runId} in ${store.location}${options.durable.resume === undefined ? "" : " (resumed)"}\n`,
  );
  try {
    const code = await runCommand(
      runnable,
      {
        ...options,
        runOptions:
          options.durable.resume === undefined
            ? { store, runId }
            : { store, resume: runId, ...(options.durable.force ? { force: true } : {}) },
        onSignal: hint,
      },
      io,
    );
    const record = await store.getRun(runId).catch(() => undefined);
    if (record !== undefined && record.state !== "completed" && !hinted) hint();
    return code;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/** `value` as one shell word (quoted when it holds anything but safe characters). */
function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}
