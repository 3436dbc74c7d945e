import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { knownKeys, optional, plainObject } from "../options/validate.js";

/**
 * How a run keeps its dead letters (`run({ deadLetters })`). Every dead letter is emitted as
 * `stage:dead-letter` (subscribe to see them all, e.g. to write them somewhere); the result keeps
 * only the first `keep` of them in memory and counts the rest in `deadLettersDropped`, so a run
 * that dead-letters millions of items stays within bounded memory. A durable store, when one is
 * configured, will receive every one of them through this object too.
 *
 * @example
 * ```ts
 * const run = p.run({ deadLetters: { keep: 100 } });
 * run.on("stage:dead-letter", (d) => log.write(`${d.stage} ${d.index} ${String(d.error)}\n`));
 * const { deadLetters, deadLettersDropped } = await run;
 * ```
 */
export interface DeadLetterOptions {
  /**
   * How many dead letters `result.deadLetters` keeps (the first ones); later ones are counted in
   * `result.deadLettersDropped`. A non-negative integer, or Infinity to keep every one.
   * @default 1000
   */
  readonly keep?: number;
}

/** Defaults of {@link DeadLetterOptions}. */
export const deadLetterDefaults = Object.freeze({ keep: 1000 } satisfies Required<DeadLetterOptions>);

/**
 * The `deadLetters` run option, validated, every field present.
 * @throws InvalidOptionError naming `deadLetters` or `deadLetters.keep`
 */
export function deadLetterSettings(value: unknown, where: string): Required<DeadLetterOptions> {
  if (value === undefined) return deadLetterDefaults;
  const o = plainObject(value, "deadLetters", where);
  knownKeys(o, ["keep"], "deadLetters", where);
  const keep = optional(o.keep, deadLetterDefaults.keep, (v) => {
    if (v === Infinity || (typeof v === "number" && Number.isInteger(v) && v >= 0)) return v;
    throw new InvalidOptionError("deadLetters.keep", "a non-negative integer, or Infinity", v, where);
  });
  return { keep };
}
