import { InvalidOptionError } from "../errors/InvalidOptionError.js";

/**
 * Checks histogram bounds: an ascending, non-empty list of positive finite numbers (seconds).
 *
 * @throws InvalidOptionError naming `buckets` and `where` otherwise
 */
export function checkBuckets(v: unknown, where: string): readonly number[] {
  if (
    !Array.isArray(v) ||
    v.length === 0 ||
    v.some((b, i) => typeof b !== "number" || !Number.isFinite(b) || b <= 0 || (i > 0 && b <= (v[i - 1] as number)))
  )
    throw new InvalidOptionError("buckets", "an ascending list of positive numbers (seconds)", v, where);
  return Object.freeze([...(v as number[])]);
}
