import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { baseClock } from "../time/baseClock.js";
import { systemClock, type Clock } from "../time/Clock.js";

/**
 * The clock a policy keeps time on (a breaker's half-open timer, a memory guard's polls, a
 * limiter's default `now`), and the rule by which a run binds it ({@link PolicyClock.bind}): a
 * policy created without a `clock` follows the clock of the first run that uses it; a policy
 * whose clock is on another time base than the run's is refused with an `InvalidOptionError`.
 * Clocks are compared by their base (a run's timer wheel over the system clock agrees with the
 * system clock).
 */
export class PolicyClock {
  #clock: Clock;
  /** The clock was given as an option, or a run already bound it: it may not change any more. */
  #fixed: boolean;

  constructor(given: Clock | undefined) {
    this.#clock = given ?? systemClock;
    this.#fixed = given !== undefined;
  }

  /** The clock in force. */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Binds to a run's clock. Returns the clock it followed until now when it switched (the caller
   * moves its pending timers and times over), undefined when nothing changed. Throws when the
   * clocks disagree and this one may not change.
   */
  bind(clock: Clock, where: string): Clock | undefined {
    const next = baseClock(clock);
    const fixed = this.#fixed;
    this.#fixed = true;
    if (baseClock(this.#clock) === next) return undefined;
    if (fixed) {
      throw new InvalidOptionError(
        "clock",
        "the clock of the run that uses it (pass the run's clock to the policy, or none)",
        "a clock on another time base",
        where,
      );
    }
    const previous = this.#clock;
    this.#clock = next;
    return previous;
  }
}
