import { performance } from "node:perf_hooks";

/** Handling time in one delivery burst after which messages wait for the check phase. */
const BURST_BUDGET_MS = 4;

/**
 * Messages from a pool's workers, handled as they arrive until a delivery burst has taken
 * `BURST_BUDGET_MS` of the main thread, then queued and handled in the event loop's check phase.
 * Node hands a `MessagePort`'s messages to their listener one after another for as long as the
 * sender keeps the port full, and the loop's timers wait meanwhile: a worker returning results as
 * fast as the main thread handled them held a 10 ms commit timer (and every timeout, batch wait
 * and heartbeat) back for 85 ms. Queuing is cheap, so past the budget the delivery ends once the
 * port is empty (workers hold only what the pool's window gave them); the queued messages are
 * then handled in one go, in arrival order, and the loop turns (timers) before the next burst.
 * Below the budget a message is handled at once, so a worker gets its next batch without waiting
 * for the check phase. One clock read per message (a batch of results), one `setImmediate` per
 * burst.
 */
export class MessageInbox<W, M> {
  #workers: W[] = [];
  #messages: M[] = [];
  #head = 0;
  /** A check-phase callback is due: it ends the burst and handles what was queued. */
  #scheduled = false;
  /** When the burst's first message was handled (performance.now()). */
  #burstStart = 0;
  /** Past the budget: messages wait for the check phase. */
  #deferring = false;
  readonly #handle: (worker: W, message: M) => void;
  readonly #now: () => number;
  readonly #endBurst = (): void => {
    this.#scheduled = false;
    this.#deferring = false;
    this.flush();
  };

  /** `handle` is called with each message, in the order they arrived; `now` reads the clock (ms). */
  constructor(handle: (worker: W, message: M) => void, now: () => number = () => performance.now()) {
    this.#handle = handle;
    this.#now = now;
  }

  /** Messages queued and not handled yet. */
  get size(): number {
    return this.#workers.length - this.#head;
  }

  /** Handles `message` from `worker` now, or queues it for the check phase once the burst is over its budget. */
  push(worker: W, message: M): void {
    if (!this.#scheduled) {
      this.#scheduled = true;
      this.#burstStart = this.#now();
      setImmediate(this.#endBurst);
    } else if (!this.#deferring && this.#now() - this.#burstStart > BURST_BUDGET_MS) this.#deferring = true;
    if (!this.#deferring && this.size === 0) {
      this.#handle(worker, message);
      return;
    }
    this.#workers.push(worker);
    this.#messages.push(message);
  }

  /** Handles every queued message now (a worker's exit is handled after what it sent before it). */
  flush(): void {
    const workers = this.#workers;
    const messages = this.#messages;
    try {
      while (this.#head < workers.length) {
        const i = this.#head++;
        this.#handle(workers[i]!, messages[i]!);
      }
      workers.length = 0;
      messages.length = 0;
      this.#head = 0;
    } finally {
      // a handler threw: the messages after it are handled on the next turn
      if (this.#head < workers.length && !this.#scheduled) {
        this.#scheduled = true;
        this.#deferring = true;
        setImmediate(this.#endBurst);
      }
    }
  }
}
