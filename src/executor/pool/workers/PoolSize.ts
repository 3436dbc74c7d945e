import type { Clock, TimerHandle } from "../../../time/Clock.js";
import { keepAlive } from "../../../time/keepAlive.js";
import type { LoadBackoff } from "./LoadBackoff.js";
import type { PoolWorker, StopReason } from "./PoolWorker.js";

/** Workers in a row that die before they are ready, after which the pool stops keeping `minWorkers` up. */
const START_FAILURES_MAX = 3;

/** What the pool size needs from its pool. */
export interface PoolSizeHost {
  /** The pool's workers, stopping ones included. */
  workers(): readonly PoolWorker[];
  /** Live workers (not counting ones being stopped). */
  live(): number;
  spawn(): PoolWorker;
  stop(w: PoolWorker, reason: StopReason): void;
}

/**
 * How many workers a pool runs when it has nothing to do: `minWorkers` kept up (replaced when
 * they exit) unless the pool gave up on them (three workers in a row died before they were
 * ready, or the module failed to load `loadAttempts` times in a row); idle workers above it
 * stopped once idle for `idleTimeoutMs`; and the waiters of `atMinimum()`.
 */
export class PoolSize {
  readonly #clock: Clock;
  readonly #minWorkers: number;
  readonly #idleTimeoutMs: number;
  readonly #load: LoadBackoff;
  readonly #host: PoolSizeHost;
  #idleTimer: TimerHandle | undefined;
  /** Waiters for {@link atMinimum}. */
  #waiters: Array<() => void> = [];
  /** Workers in a row that died before they were ready. */
  #startFailures = 0;
  #closed = false;

  constructor(clock: Clock, minWorkers: number, idleTimeoutMs: number, load: LoadBackoff, host: PoolSizeHost) {
    this.#clock = clock;
    this.#minWorkers = minWorkers;
    this.#idleTimeoutMs = idleTimeoutMs;
    this.#load = load;
    this.#host = host;
  }

  /** `minWorkers`, or 0 once the pool gave up keeping workers up. */
  get minimum(): number {
    return this.#startFailures >= START_FAILURES_MAX || this.#load.gaveUp ? 0 : this.#minWorkers;
  }

  /** A worker became ready: the streak of start failures ends. */
  started(): void {
    this.#startFailures = 0;
  }

  /** A worker died before it was ready, without the pool stopping it. */
  startFailed(): void {
    this.#startFailures++;
  }

  /** Starts workers up to the minimum, as far as the load backoff lets them start. */
  ensureMinimum(): void {
    while (this.#host.live() < this.minimum && this.#load.mayStart(this.#host.workers())) this.#host.spawn();
  }

  /** A worker went idle: stop idle workers above the minimum once they have idled long enough. */
  wentIdle(): void {
    if (this.#idleTimer !== undefined || this.#closed) return;
    this.#idleTimer = this.#clock.setTimer(() => {
      this.#idleTimer = undefined;
      this.#idleCheck();
    }, this.#idleTimeoutMs);
  }

  /** Resolves when the pool holds no items and runs exactly {@link minimum} workers. */
  atMinimum(): Promise<void> {
    return new Promise<void>((resolve) => {
      // idle workers and pool timers do not keep the process alive; a waiter does
      const release = keepAlive();
      this.#waiters.push(() => {
        release();
        resolve();
      });
      this.check();
    });
  }

  /** Resolves the waiters of {@link atMinimum} if the pool is there now. */
  check(): void {
    if (this.#waiters.length === 0) return;
    const workers = this.#host.workers();
    if (workers.length !== this.minimum) return;
    for (const w of workers) if (w.batches.size > 0 || w.stopped !== undefined || w.hung) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }

  close(): void {
    this.#closed = true;
    this.#idleTimer?.cancel();
    this.#idleTimer = undefined;
  }

  #idleCheck(): void {
    if (this.#closed) return;
    const now = this.#clock.now();
    let live = this.#host.live();
    let waiting = false;
    for (const w of [...this.#host.workers()]) {
      if (w.stopped !== undefined || w.batches.size > 0 || live <= this.#minWorkers) continue;
      if (now - w.idleSince >= this.#idleTimeoutMs) {
        this.#host.stop(w, "idle");
        live--;
      } else waiting = true;
    }
    if (waiting) this.wentIdle();
  }
}
