import type { Clock, TimerHandle } from "../../../time/Clock.js";
import type { PoolWorker, StopReason } from "./PoolWorker.js";
import { processStopped } from "./processStopped.js";
import { MSG_PING, type PingMessage } from "../wire/WireMessage.js";

/** Heartbeats a child process may leave unanswered before the pool asks the system whether it is stopped. */
export const STOPPED_AFTER_BEATS = 3;

/** What the heartbeat needs from its pool. */
export interface HeartbeatHost {
  /** The pool's workers, stopping ones included. */
  workers(): readonly PoolWorker[];
  send(w: PoolWorker, message: PingMessage): void;
  stop(w: PoolWorker, reason: StopReason): void;
}

/**
 * The liveness check of a pool: every `heartbeatMs`, each worker holding items (its module loaded) gets a ping
 * unless one is unanswered, and its event loop answers it (`answered`). A worker whose ping has
 * waited `unresponsiveMs` (when set) is stopped (`"unresponsive"`); a child process whose ping has
 * waited three heartbeats is killed (`"frozen"`) if the system reports it stopped. A heartbeat
 * that comes late (this process was itself stopped or blocked) restarts every wait: a silence
 * measured then means nothing. Runs while any worker holds items; `start` after each dispatch.
 */
export class Heartbeat {
  readonly #clock: Clock;
  readonly #everyMs: number;
  readonly #unresponsiveMs: number;
  readonly #processes: boolean;
  readonly #host: HeartbeatHost;
  #timer: TimerHandle | undefined;
  #lastBeat = 0;
  #seq = 0;
  #closed = false;

  /** @param everyMs `heartbeatMs` (0: never runs) */
  constructor(clock: Clock, everyMs: number, unresponsiveMs: number, processes: boolean, host: HeartbeatHost) {
    this.#clock = clock;
    this.#everyMs = everyMs;
    this.#unresponsiveMs = unresponsiveMs;
    this.#processes = processes;
    this.#host = host;
  }

  /** Starts beating (when enabled and not running). */
  start(): void {
    if (this.#everyMs === 0 || this.#timer !== undefined || this.#closed) return;
    this.#lastBeat = this.#clock.now();
    this.#timer = this.#clock.setTimer(() => this.#beat(), this.#everyMs);
  }

  /** A pong arrived from `w` with sequence number `seq`. */
  answered(w: PoolWorker, seq: number): void {
    if (seq === w.pingSeq) w.pingAt = -1;
  }

  close(): void {
    this.#closed = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #beat(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    const every = this.#everyMs;
    const now = this.#clock.now();
    const late = now - this.#lastBeat > 2 * every;
    this.#lastBeat = now;
    let holding = false;
    for (const w of [...this.#host.workers()]) {
      if (w.stopped !== undefined || w.batches.size === 0) {
        w.pingAt = -1;
        continue;
      }
      holding = true;
      // a worker still loading its module is not judged (its start-up is not a silence), but the
      // heartbeat goes on for it
      if (!w.ready) {
        w.pingAt = -1;
        continue;
      }
      if (w.pingAt < 0) {
        w.pingSeq = ++this.#seq;
        w.pingAt = now;
        this.#host.send(w, { t: MSG_PING, s: w.pingSeq });
        continue;
      }
      if (late) {
        w.pingAt = now;
        continue;
      }
      const silent = now - w.pingAt;
      if (this.#unresponsiveMs > 0 && silent >= this.#unresponsiveMs) this.#host.stop(w, "unresponsive");
      else if (this.#processes && silent >= STOPPED_AFTER_BEATS * every && !w.checking) this.#checkStopped(w);
    }
    if (holding) this.#timer = this.#clock.setTimer(() => this.#beat(), every);
  }

  /** Kills a silent child process that the system reports stopped. */
  #checkStopped(w: PoolWorker): void {
    const pid = w.handle.pid;
    if (pid === undefined) return;
    w.checking = true;
    void processStopped(pid).then((stopped) => {
      w.checking = false;
      if (stopped && w.stopped === undefined && w.pingAt >= 0 && w.batches.size > 0) this.#host.stop(w, "frozen");
    });
  }
}
