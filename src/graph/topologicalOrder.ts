import { CycleError } from "../errors/CycleError.js";

/**
 * Orders `names` so that each comes after the names it depends on (`depsOf` lists those within
 * the set; others are ignored). Stable: independent names keep their given order. Throws a
 * {@link CycleError} naming the tasks on a cycle, first repeated at the end.
 */
export function topologicalOrder(names: readonly string[], depsOf: (name: string) => readonly string[]): string[] {
  const inSet = new Set(names);
  /** 0: unvisited, 1: on the current path, 2: done. */
  const mark = new Map<string, 0 | 1 | 2>();
  const order: string[] = [];
  for (const root of names) {
    if ((mark.get(root) ?? 0) !== 0) continue;
    // iterative DFS; `path` holds the names on the current path, `next` each one's next dep index
    const path: string[] = [root];
    const next: number[] = [0];
    mark.set(root, 1);
    while (path.length > 0) {
      const top = path.length - 1;
      const name = path[top]!;
      const deps = depsOf(name);
      const k = next[top]!;
      if (k === deps.length) {
        mark.set(name, 2);
        order.push(name);
        path.pop();
        next.pop();
        continue;
      }
      next[top] = k + 1;
      const dep = deps[k]!;
      if (!inSet.has(dep)) continue;
      const m = mark.get(dep) ?? 0;
      if (m === 1) {
        const cycle = [...path.slice(path.indexOf(dep)), dep];
        throw new CycleError(cycle, "dependency");
      }
      if (m === 0) {
        mark.set(dep, 1);
        path.push(dep);
        next.push(0);
      }
    }
  }
  return order;
}
