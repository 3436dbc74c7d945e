import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { EventBus, type EventHandler } from "../events/EventBus.js";
import { func, knownKeys, optional, plainObject, positiveNumber } from "../options/validate.js";
import type { Clock, TimerHandle } from "../time/Clock.js";
import { clockOption } from "../time/clockOption.js";
import { PolicyClock } from "./PolicyClock.js";
import { optionKeys } from "../options/optionKeys.js";

/**
 * Options of {@link memoryGuard}.
 *
 * @example
 * ```ts
 * memoryGuard({ highWaterBytes: 1.5e9, lowWaterBytes: 1e9, pollMs: 50 })
 * ```
 */
export interface MemoryGuardOptions {
  /** Pause when the probe reads above this many bytes. */
  readonly highWaterBytes: number;
  /** Resume when the probe reads below this many bytes. @default 80% of highWaterBytes */
  readonly lowWaterBytes?: number;
  /** Reads memory in use, in bytes. @default () => process.memoryUsage().heapUsed */
  readonly probe?: () => number;
  /** How often a paused guard reads the probe, in ms. @default 100 */
  readonly pollMs?: number;
  /** The clock polls run on. @default systemClock, or the clock of the first run that uses the guard */
  readonly clock?: Clock;
}

/** Memory guard defaults. */
export const memoryGuardDefaults = Object.freeze({
  lowWaterShare: 0.8,
  pollMs: 100,
  probe: (): number => process.memoryUsage().heapUsed,
});

/** Events of a {@link MemoryGuard}. */
export interface MemoryGuardEvents {
  /** Memory rose above the high-water mark: sources should pause. */
  pause: { readonly bytes: number; readonly highWaterBytes: number };
  /** Memory fell below the low-water mark: sources may resume. `pausedMs` is how long the pause lasted. */
  resume: { readonly bytes: number; readonly lowWaterBytes: number; readonly pausedMs: number };
}

/** A snapshot of a {@link MemoryGuard}. */
export interface MemoryGuardStats {
  readonly paused: boolean;
  readonly pauses: number;
  /** Total time paused, in ms (the current pause included). */
  readonly pausedMs: number;
  /** The last probe reading. */
  readonly lastBytes: number;
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
}

/**
 * Memory-aware backpressure with hysteresis: paused once the probe reads above `highWaterBytes`,
 * until it reads below `lowWaterBytes`. A source checks {@link MemoryGuard.shouldPause} before
 * pulling and awaits {@link MemoryGuard.whenBelow} when told to pause. One poll timer serves every
 * waiter, and runs only while someone waits.
 */
export class MemoryGuard {
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
  readonly #probe: () => number;
  readonly #pollMs: number;
  readonly #time: PolicyClock;
  readonly #events = new EventBus<MemoryGuardEvents>();
  #paused = false;
  #pausedAt = 0;
  #pausedTotal = 0;
  #pauses = 0;
  #last = 0;
  /** Waiters of {@link MemoryGuard.whenBelow}; each removes itself on abort. */
  readonly #waiters = new Set<() => void>();
  #timer: TimerHandle | undefined;

  constructor(options: MemoryGuardOptions) {
    const where = "memoryGuard";
    const o = plainObject(options, "options", where);
    knownKeys(
      o,
      optionKeys<MemoryGuardOptions>()("highWaterBytes", "lowWaterBytes", "probe", "pollMs", "clock"),
      "",
      where,
    );
    this.highWaterBytes = positiveNumber(o.highWaterBytes, "highWaterBytes", where);
    this.lowWaterBytes = optional(o.lowWaterBytes, this.highWaterBytes * memoryGuardDefaults.lowWaterShare, (v) =>
      positiveNumber(v, "lowWaterBytes", where),
    );
    if (this.lowWaterBytes > this.highWaterBytes) {
      throw new InvalidOptionError(
        "lowWaterBytes",
        `at most highWaterBytes (${this.highWaterBytes})`,
        this.lowWaterBytes,
        where,
      );
    }
    this.#probe = optional(o.probe, memoryGuardDefaults.probe, (v) => func<() => number>(v, "probe", where));
    this.#pollMs = optional(o.pollMs, memoryGuardDefaults.pollMs, (v) => positiveNumber(v, "pollMs", where));
    this.#time = new PolicyClock(optional<Clock | undefined>(o.clock, undefined, (v) => clockOption(v, where)));
  }

  /**
   * Follows a run's clock (a run calls this when it starts with the guard as its `memory`
   * option): a guard created without a `clock` adopts it, keeping an ongoing pause and poll; one
   * whose clock is on another time base throws an `InvalidOptionError`.
   */
  bindClock(clock: Clock): void {
    const previous = this.#time.bind(clock, "memoryGuard");
    if (previous === undefined) return;
    this.#pausedAt += this.#time.clock.now() - previous.now();
    if (this.#timer !== undefined) {
      this.#stopPolling();
      this.#poll();
    }
  }

  /** Reads the probe; true while memory is above high water, until it falls below low water. */
  shouldPause(): boolean {
    const bytes = this.#probe();
    this.#last = bytes;
    if (!this.#paused && bytes > this.highWaterBytes) {
      this.#paused = true;
      this.#pausedAt = this.#time.clock.now();
      this.#pauses++;
      this.#events.emit("pause", { bytes, highWaterBytes: this.highWaterBytes });
    } else if (this.#paused && bytes < this.lowWaterBytes) {
      this.#paused = false;
      const pausedMs = this.#time.clock.now() - this.#pausedAt;
      this.#pausedTotal += pausedMs;
      this.#events.emit("resume", { bytes, lowWaterBytes: this.lowWaterBytes, pausedMs });
    }
    return this.#paused;
  }

  /**
   * Resolves once the guard is not paused (at once when it is not), polling the probe every
   * `pollMs` on the clock. Rejects with the signal's reason when it aborts first.
   */
  whenBelow(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.shouldPause()) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.#waiters.delete(wake);
        if (this.#waiters.size === 0) this.#stopPolling();
        reject(signal?.reason);
      };
      const wake = (): void => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      };
      this.#waiters.add(wake);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#poll();
    });
  }

  /** Subscribes to an event; returns the unsubscribe function. */
  on<K extends keyof MemoryGuardEvents>(type: K, handler: EventHandler<MemoryGuardEvents[K]>): () => void {
    return this.#events.on(type, handler);
  }

  /** A frozen snapshot. */
  stats(): MemoryGuardStats {
    return Object.freeze({
      paused: this.#paused,
      pauses: this.#pauses,
      pausedMs: this.#pausedTotal + (this.#paused ? this.#time.clock.now() - this.#pausedAt : 0),
      lastBytes: this.#last,
      highWaterBytes: this.highWaterBytes,
      lowWaterBytes: this.lowWaterBytes,
    });
  }

  #poll(): void {
    if (this.#timer !== undefined) return;
    this.#timer = this.#time.clock.setTimer(() => {
      this.#timer = undefined;
      if (this.#waiters.size === 0) return;
      if (this.shouldPause()) {
        this.#poll();
        return;
      }
      const waiters = [...this.#waiters];
      this.#waiters.clear();
      for (const wake of waiters) wake();
    }, this.#pollMs);
  }

  #stopPolling(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}

/**
 * Creates a {@link MemoryGuard}.
 *
 * @example
 * ```ts
 * const guard = memoryGuard({ highWaterBytes: 512 * 2 ** 20 });
 * for await (const item of source) { if (guard.shouldPause()) await guard.whenBelow(signal); push(item); }
 * ```
 */
export function memoryGuard(options: MemoryGuardOptions): MemoryGuard {
  return new MemoryGuard(options);
}
