/**
 * The ready tasks of a run, as a binary max-heap of task indices: higher priority first, then
 * higher rank (longest remaining path to a sink), then lower index (definition order). Bounded by
 * the run's task count. `priority` and `rank` are read live, so tasks added later just extend
 * them; when a queued task's rank grows (a dynamic task was added below it), {@link ReadyQueue.raise}
 * moves it up. Each task's heap position is tracked for that, so no stale entries exist.
 */
export class ReadyQueue {
  readonly #heap: number[] = [];
  /** Position of each queued task in `#heap`; -1 (or a hole) when not queued. */
  readonly #position: number[] = [];
  readonly #priority: readonly number[];
  readonly #rank: readonly number[];

  constructor(priority: readonly number[], rank: readonly number[]) {
    this.#priority = priority;
    this.#rank = rank;
  }

  get size(): number {
    return this.#heap.length;
  }

  /** True when `task` is queued. */
  has(task: number): boolean {
    const p = this.#position[task];
    return p !== undefined && p >= 0;
  }

  push(task: number): void {
    const h = this.#heap;
    h.push(task);
    this.#siftUp(h.length - 1, task);
  }

  /** Restores the order after `task`'s priority or rank grew (no-op when it is not queued). */
  raise(task: number): void {
    const p = this.#position[task];
    if (p !== undefined && p >= 0) this.#siftUp(p, task);
  }

  /** Removes and returns the first task; undefined when empty. */
  pop(): number | undefined {
    const h = this.#heap;
    const pos = this.#position;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined) return undefined;
    pos[top] = -1;
    if (h.length === 0) return top;
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
      pos[child] = i;
      i = c;
    }
    h[i] = last;
    pos[last] = i;
    return top;
  }

  /** Removes every task. */
  clear(): void {
    for (const t of this.#heap) this.#position[t] = -1;
    this.#heap.length = 0;
  }

  /** Sifts `task`, now at position `i`, up to its place. */
  #siftUp(i: number, task: number): void {
    const h = this.#heap;
    const pos = this.#position;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!this.#before(task, p)) break;
      h[i] = p;
      pos[p] = i;
      i = parent;
    }
    h[i] = task;
    pos[task] = i;
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
