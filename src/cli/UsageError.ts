import { WeirError } from "../errors/WeirError.js";

/**
 * The command line was wrong: an unknown command or option, a missing or extra argument, an
 * option value of the wrong kind. `weir` exits with code 2 and says how to get help.
 *
 * @example
 * ```
 * weir: WEIR_USAGE: run: unknown option --bogus
 * ```
 */
export class UsageError extends WeirError {
  /** The class name: `error.name`, and what `UsageError.is(e)` matches. */
  static override readonly name: string = "UsageError";
  /** The command whose arguments were wrong (`run`, `plan`), or `weir` for the command itself. */
  readonly command: string;

  constructor(command: string, message: string) {
    super("WEIR_USAGE", command === "weir" ? message : `${command}: ${message}`);
    this.command = command;
  }
}
