import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import type { Clock } from "./Clock.js";

/** Validates a `clock` option: anything with `now()` and `setTimer()`. */
export function clockOption(value: unknown, where: string, option = "clock"): Clock {
  const c = value as Partial<Clock> | null;
  if (typeof c !== "object" || c === null || typeof c.now !== "function" || typeof c.setTimer !== "function") {
    throw new InvalidOptionError(option, "a Clock (now, setTimer)", value, where);
  }
  return value as Clock;
}
