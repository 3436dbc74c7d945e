/**
 * The ready tasks of a run, as a binary max-heap of task indices: higher priority first, then
 * higher rank (longest remaining path to a sink), then lower index (definition order). Bounded by
 * the run's task count. `priority` and `rank` are read live, so tasks added later just extend them.
 */
export class ReadyQueue {
  readonly #heap: number[] = [];
  readonly #priority: readonly number[];
  readonly #rank: readonly number[];

  constructor(priority: readonly number[], rank: readonly number[]) {
    this.#priority = priority;
    this.#rank = rank;
  }

  get size(): number {
    return this.#heap.length;
  }

  push(task: number): void {
    const h = this.#heap;
    let i = h.length;
    h.push(task);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!this.#before(task, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = task;
  }

  /** Removes and returns the first task; undefined when empty. */
  pop(): number | undefined {
    const h = this.#heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    const n = h.length;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.#before(h[r]!, h[l]!)) c = r;
      const child = h[c]!;
      if (!this.#before(child, last)) break;
      h[i] = child;
      i = c;
    }
    h[i] = last;
    return top;
  }

  /** Removes every task. */
  clear(): void {
    this.#heap.length = 0;
  }

  #before(a: number, b: number): boolean {
    const pa = this.#priority[a]!;
    const pb = this.#priority[b]!;
    if (pa !== pb) return pa > pb;
    const ra = this.#rank[a]!;
    const rb = this.#rank[b]!;
    if (ra !== rb) return ra > rb;
    return a < b;
  }
}
