import { WeirError } from "./WeirError.js";

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
  /** Dotted path of the option, e.g. `retry.attempts`. */
  readonly option: string;
  /** What was expected, in words. */
  readonly expected: string;
  /** What was received, rendered for humans. */
  readonly received: string;
  /** Where the option was given (a stage, pipeline, workflow or policy name), when known. */
  readonly where: string | undefined;

  constructor(option: string, expected: string, received: unknown, where?: string) {
    const shown = describeValue(received);
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

/** Renders a received value for an error message: short, unambiguous. */
export function describeValue(value: unknown): string {
  if (value === undefined) return "undefined";
  if (value === null) return "null";
  if (typeof value === "string") return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") return String(value);
  if (typeof value === "function") return `function ${value.name || "(anonymous)"}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  const ctor = (value as { constructor?: { name?: string } }).constructor?.name;
  return ctor && ctor !== "Object" ? `a ${ctor}` : "an object";
}
