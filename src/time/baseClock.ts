import type { Clock } from "./Clock.js";
import { TimerWheel } from "./TimerWheel.js";

/**
 * The clock under any timer wheels wrapping `clock` (or `clock` itself): the same time base, with
 * precise timers. Two clocks keep comparable time when their base clocks are the same object.
 *
 * @example
 * ```ts
 * const precise = baseClock(run.clock); // the stage's one admission timer is set on this
 * ```
 */
export function baseClock(clock: Clock): Clock {
  let c = clock;
  while (c instanceof TimerWheel) c = c.base;
  return c;
}
