/** Where the CLI writes: its own output, and its messages. */
export interface CliIo {
  /** The command's output (the summary, the JSON result, the plan). */
  readonly out: { write(text: string): unknown; readonly isTTY?: boolean };
  /** Messages: errors, progress notes. */
  readonly err: { write(text: string): unknown };
}

/**
 * Keeps stdout for the CLI's machine-readable output: from now until the process exits,
 * everything else written to `process.stdout` in this process (the module's `console.log`, a
 * worker thread's output, which Node pipes through it, even when it arrives after the result)
 * goes to stderr instead. Returns the writer that still reaches stdout.
 */
export function stdoutToStderr(): CliIo["out"] {
  const stdout = process.stdout;
  const realWrite = stdout.write.bind(stdout) as (text: string) => boolean;
  const toStderr = (...args: Parameters<typeof process.stderr.write>): boolean => process.stderr.write(...args);
  stdout.write = toStderr as typeof stdout.write;
  return { write: realWrite, isTTY: stdout.isTTY };
}
