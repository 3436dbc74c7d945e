import { InvalidOptionError } from "../../errors/InvalidOptionError.js";
import { MemoryGuard } from "../../policy/MemoryGuard.js";
import type { Clock } from "../../time/Clock.js";
import type { RunOptions } from "../RunOptions.js";
import type { SourceGate } from "./SourceStep.js";

/**
 * What may hold the source back between chunks: the memory guard (the source waits while memory
 * is above its high-water mark; bound to the run's clock) and a custom gate. Undefined when
 * neither is set.
 */
export function sourceGate(options: RunOptions, clock: Clock, signal: AbortSignal): SourceGate | undefined {
  const custom = options.sourceGate;
  let guard: MemoryGuard | undefined;
  if (options.memory instanceof MemoryGuard) guard = options.memory;
  else if (options.memory !== undefined) {
    if (typeof options.memory !== "object" || options.memory === null) {
      throw new InvalidOptionError("memory", "a memoryGuard() or its options", options.memory, "run()");
    }
    guard = new MemoryGuard({ clock, ...options.memory });
  }
  // A guard created without a clock follows the run's (and one on another time base is refused).
  guard?.bindClock(clock);
  if (guard === undefined && custom === undefined) return undefined;
  return {
    ready(): Promise<void> | undefined {
      if (guard?.shouldPause() === true) return guard.whenBelow(signal);
      return custom?.();
    },
  };
}
