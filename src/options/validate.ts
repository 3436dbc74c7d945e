import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { closestName } from "./closestName.js";

/**
 * Checks for option values. Each returns the value, typed, or throws an {@link InvalidOptionError}
 * naming the option path, what was expected and what was received. `where` names the stage,
 * pipeline, workflow or policy the option belongs to.
 */

export function positiveInt(value: unknown, option: string, where?: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidOptionError(option, "a positive integer", value, where);
  }
  return value;
}

export function nonNegativeInt(value: unknown, option: string, where?: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
    throw new InvalidOptionError(option, "a non-negative integer", value, where);
  }
  return value;
}

export function positiveNumber(value: unknown, option: string, where?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
    throw new InvalidOptionError(option, "a positive finite number", value, where);
  }
  return value;
}

export function nonNegativeNumber(value: unknown, option: string, where?: string): number {
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw new InvalidOptionError(option, "a non-negative finite number", value, where);
  }
  return value;
}

export function ratio(value: unknown, option: string, where?: string): number {
  if (typeof value !== "number" || !(value >= 0 && value <= 1)) {
    throw new InvalidOptionError(option, "a number between 0 and 1", value, where);
  }
  return value;
}

export function boolean(value: unknown, option: string, where?: string): boolean {
  if (typeof value !== "boolean") throw new InvalidOptionError(option, "true or false", value, where);
  return value;
}

export function func<F extends (...args: never[]) => unknown>(value: unknown, option: string, where?: string): F {
  if (typeof value !== "function") throw new InvalidOptionError(option, "a function", value, where);
  return value as F;
}

export function nonEmptyString(value: unknown, option: string, where?: string): string {
  if (typeof value !== "string" || value.length === 0) {
    throw new InvalidOptionError(option, "a non-empty string", value, where);
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], option: string, where?: string): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new InvalidOptionError(option, `one of ${allowed.map((a) => `"${a}"`).join(", ")}`, value, where);
  }
  return value as T;
}

export function plainObject(value: unknown, option: string, where?: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new InvalidOptionError(option, "an object", value, where);
  }
  return value as Record<string, unknown>;
}

/**
 * Rejects keys that are not in `known`, so a typo (`concurency`) fails loudly, with a "did you
 * mean" when a known key is close.
 */
export function knownKeys(
  value: Record<string, unknown>,
  known: readonly string[],
  option: string,
  where?: string,
): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const path = option === "" ? key : `${option}.${key}`;
      const guess = closestName(key, known);
      throw new InvalidOptionError(
        path,
        `one of the known options (${known.join(", ")})`,
        key,
        where,
        `unknown option "${key}"${guess === undefined ? "" : ` (did you mean "${guess}"?)`}`,
      );
    }
  }
}

/** An AbortSignal; an AbortController given instead is refused with a hint to pass its `.signal`. */
export function abortSignal(value: unknown, option: string, where?: string): AbortSignal {
  if (value instanceof AbortSignal) return value;
  const hint = value instanceof AbortController ? " (pass the controller's .signal, not the controller)" : "";
  throw new InvalidOptionError(option, `an AbortSignal${hint}`, value, where);
}

/** Returns `value` checked with `check` when defined, else `fallback`. */
export function optional<T>(value: unknown, fallback: T, check: (v: unknown) => T): T {
  return value === undefined ? fallback : check(value);
}
