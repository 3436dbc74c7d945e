import type { FusedTail } from "./FusedTail.js";
import type { Outlet } from "./Outlet.js";

/**
 * The end of every step: its fused tail (if any), then its outlet. A step awaits each emit before
 * the next, so the tail's output buffers are reused without copying.
 */
export class Emitter {
  readonly #tail: FusedTail | undefined;
  readonly #outlet: Outlet;
  readonly #outV: unknown[] = [];
  readonly #outS: number[] = [];

  constructor(tail: FusedTail | undefined, outlet: Outlet) {
    this.#tail = tail;
    this.#outlet = outlet;
  }

  /** Room below before a push would wait (Infinity when nothing reads). */
  free(): number {
    return this.#outlet.free();
  }

  /** Resolves when every channel below has room; undefined when it already has. */
  space(): Promise<void> | undefined {
    return this.#outlet.space();
  }

  /** Runs `values[0..n)` through the tail and out. Undefined when it all happened synchronously. */
  emit(values: readonly unknown[], seqs: ArrayLike<number>, n: number): Promise<void> | undefined {
    const tail = this.#tail;
    if (tail === undefined) return this.#outlet.push(values, seqs, n);
    const outV = this.#outV;
    const outS = this.#outS;
    outV.length = 0;
    outS.length = 0;
    const m = tail.run(values, seqs, n, outV, outS);
    if (typeof m === "number") return m === 0 ? undefined : this.#outlet.push(outV, outS, m);
    return m.then((k) => this.#outlet.push(outV, outS, k));
  }

  /** No more output. */
  close(): void {
    this.#outlet.close();
  }
}
