/**
 * weir's own parameters of a child process of a pool: passed as its one argument after the entry
 * file (never in its environment, which is the user's: see the `env` pool option), and taken out
 * of `process.argv` before the user's module loads, so it sees `[node, entry]` as under plain Node.
 */
export interface ProcessEntryArgs {
  /** The module whose exports the stages call. */
  readonly moduleUrl: string;
  /** How frames on fd 3 encode messages: msgpack, or V8's structured-clone format. */
  readonly wire: "msgpack" | "ipc";
  /** The pool's `maxFrameBytes`, enforced on both ends of the pipe. */
  readonly maxFrameBytes: number;
}

/**
 * The child's file descriptor whose other end the parent holds open for as long as it lives and
 * never writes to: its end of file tells a watchdog that the parent died (see parentWatch).
 */
export const LIFELINE_FD = 4;

/** The arguments that carry `args` to a child process. */
export function writeEntryArgs(args: ProcessEntryArgs): string[] {
  return [JSON.stringify(args)];
}

/** Reads the parameters from `argv` (a child's `process.argv`) and removes them from it. */
export function takeEntryArgs(argv: string[]): ProcessEntryArgs {
  const [raw] = argv.splice(2, 1);
  const parsed = JSON.parse(raw ?? "{}") as Partial<ProcessEntryArgs>;
  if (typeof parsed.moduleUrl !== "string" || (parsed.wire !== "msgpack" && parsed.wire !== "ipc")) {
    throw new Error("weir: processEntry must be started by a pool (its parameters are missing)");
  }
  return {
    moduleUrl: parsed.moduleUrl,
    wire: parsed.wire,
    maxFrameBytes: typeof parsed.maxFrameBytes === "number" ? parsed.maxFrameBytes : 0xffff_ffff,
  };
}
