import { YIELD_EVERY, yieldToLoop } from "../Step.js";

/**
 * Makes sure the event loop turns while a step moves items (a source pulled, a channel read): every {@link YIELD_EVERY} chunks, the
 * step yields to it (setImmediate) unless it turned since the last check. Awaiting room below or
 * an async read is not enough: when everything downstream settles in microtasks (an async sink
 * that does no I/O, a buffered stream) those awaits never let timers, I/O or signal handlers run.
 */
export class LoopTurns {
  #chunks = 0;
  #turned = false;
  readonly #mark = (): void => {
    this.#turned = true;
  };

  constructor() {
    setImmediate(this.#mark);
  }

  /** Counts a chunk; resolves after a loop turn when one is due, else undefined (no await cost). */
  chunk(): Promise<void> | undefined {
    if (++this.#chunks < YIELD_EVERY) return undefined;
    this.#chunks = 0;
    const turned = this.#turned;
    this.#turned = false;
    if (turned) {
      setImmediate(this.#mark);
      return undefined;
    }
    return yieldToLoop().then(() => void setImmediate(this.#mark));
  }
}
