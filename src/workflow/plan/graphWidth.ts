/** Graphs of up to this many tasks get their exact width from {@link graphWidth}. */
export const exactWidthLimit = 2_048;

/**
 * The width of a task graph: the size of its largest antichain (tasks no two of which are
 * ancestor and descendant), which is exactly the most tasks that can run at once. Computed by
 * Dilworth's theorem (tasks minus a maximum matching of the reachability relation, on bitset
 * rows; docs/architecture.md); `undefined` above {@link exactWidthLimit} tasks.
 * `dependents[i]` must list only tasks after `i` (the graph in topological order).
 */
export function graphWidth(dependents: readonly (readonly number[])[]): number | undefined {
  const n = dependents.length;
  if (n > exactWidthLimit) return undefined;
  if (n === 0) return 0;
  const words = (n + 31) >>> 5;
  const reach = reachability(dependents, words);
  const matchOfRight = new Int32Array(n).fill(-1);
  const matchOfLeft = new Int32Array(n).fill(-1);
  let matched = 0;
  // greedy start: most of the matching, cheaply
  for (let u = 0; u < n; u++) {
    const j = firstFree(reach, u * words, words, matchOfRight);
    if (j >= 0) {
      matchOfRight[j] = u;
      matchOfLeft[u] = j;
      matched++;
    }
  }
  const unvisited = new Int32Array(words);
  const augment = (u: number): boolean => {
    const base = u * words;
    for (let w = 0; w < words; w++) {
      let bits = reach[base + w]! & unvisited[w]!;
      while (bits !== 0) {
        const low = bits & -bits;
        unvisited[w] = unvisited[w]! & ~low;
        const j = (w << 5) + 31 - Math.clz32(low);
        const owner = matchOfRight[j]!;
        if (owner === -1 || augment(owner)) {
          matchOfRight[j] = u;
          matchOfLeft[u] = j;
          return true;
        }
        bits = reach[base + w]! & unvisited[w]!;
      }
    }
    return false;
  };
  for (let u = 0; u < n; u++) {
    if (matchOfLeft[u] !== -1) continue;
    unvisited.fill(-1);
    if (augment(u)) matched++;
  }
  return n - matched;
}

/** One bitset row per task: bit `j` of row `i` is set when task `j` is a descendant of task `i`. */
function reachability(dependents: readonly (readonly number[])[], words: number): Int32Array {
  const n = dependents.length;
  const reach = new Int32Array(n * words);
  for (let i = n - 1; i >= 0; i--) {
    const row = i * words;
    for (const d of dependents[i]!) {
      reach[row + (d >>> 5)] = reach[row + (d >>> 5)]! | (1 << (d & 31));
      const other = d * words;
      for (let w = 0; w < words; w++) reach[row + w] = reach[row + w]! | reach[other + w]!;
    }
  }
  return reach;
}

/** The first task in row `base` not matched yet, or -1. */
function firstFree(reach: Int32Array, base: number, words: number, matchOfRight: Int32Array): number {
  for (let w = 0; w < words; w++) {
    let bits = reach[base + w]!;
    while (bits !== 0) {
      const low = bits & -bits;
      const j = (w << 5) + 31 - Math.clz32(low);
      if (matchOfRight[j] === -1) return j;
      bits &= bits - 1;
    }
  }
  return -1;
}
