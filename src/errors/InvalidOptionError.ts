import { describeValue } from "./describeValue.js";
import { WeirError } from "./WeirError.js";

export { describeValue } from "./describeValue.js";

/**
 * An option was missing, of the wrong type or out of range. Thrown when the pipeline, stage,
 * workflow or policy is built, never mid-run.
 *
 * @example
 * ```
 * InvalidOptionError: stage "enrich": option concurrency: expected a positive integer, received 0
 * ```
 */
export class InvalidOptionError extends WeirError {
  /** The class name: `error.name`, and what `InvalidOptionError.is(e)` matches. */
  static override readonly name: string = "InvalidOptionError";
  /** Dotted path of the option, e.g. `retry.attempts`. */
  readonly option: string;
  /** What was expected, in words. */
  readonly expected: string;
  /** What was received, rendered for humans. */
  readonly received: string;
  /** Where the option was given (a stage, pipeline, workflow or policy name), when known. */
  readonly where: string | undefined;

  /**
   * `received` is the value given (rendered by `describeValue`); pass `shown` to say in
   * words what was received instead (e.g. `unknown option "singal" (did you mean "signal"?)`).
   */
  constructor(option: string, expected: string, received: unknown, where?: string, shown?: string) {
    shown ??= describeValue(received);
    super(
      "WEIR_INVALID_OPTION",
      `${where === undefined ? "" : `${where}: `}option ${option}: expected ${expected}, received ${shown}`,
    );
    this.option = option;
    this.expected = expected;
    this.received = shown;
    this.where = where;
  }
}
