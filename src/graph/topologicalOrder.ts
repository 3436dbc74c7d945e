import { CycleError } from "../errors/CycleError.js";

/**
 * Orders nodes `0 … count - 1` so that each comes after the nodes it depends on (`depsOf(node)`,
 * node numbers below `count`; asked once per node). Stable: a node comes as early as its
 * dependencies allow, in node order, so a graph whose nodes already come after their
 * dependencies keeps its order. Iterative (a 100,000-node chain cannot overflow the stack);
 * O(nodes + edges).
 *
 * Throws a {@link CycleError} naming the nodes on a cycle (`nameOf`), the first repeated at the
 * end, with `what` describing an edge in its message.
 *
 * @example
 * ```ts
 * topologicalOrder(3, (n) => [[2], [], [1]][n]!, (n) => "abc"[n]!); // [1, 2, 0]
 * ```
 */
export function topologicalOrder(
  count: number,
  depsOf: (node: number) => readonly number[],
  nameOf: (node: number) => string,
  what = "dependency",
): number[] {
  /** 0: not visited, 1: on the current path, 2: placed. */
  const mark = new Uint8Array(count);
  const order: number[] = [];
  // the current path of the depth-first walk: its nodes, their dependencies, and the next one to visit
  const path: number[] = [];
  const pathDeps: (readonly number[])[] = [];
  const next: number[] = [];
  for (let root = 0; root < count; root++) {
    if (mark[root] !== 0) continue;
    mark[root] = 1;
    path.push(root);
    pathDeps.push(depsOf(root));
    next.push(0);
    while (path.length > 0) {
      const top = path.length - 1;
      const deps = pathDeps[top]!;
      const k = next[top]!;
      if (k === deps.length) {
        const node = path.pop()!;
        pathDeps.pop();
        next.pop();
        mark[node] = 2;
        order.push(node);
        continue;
      }
      next[top] = k + 1;
      const dep = deps[k]!;
      const m = mark[dep];
      if (m === 1) throw new CycleError([...path.slice(path.indexOf(dep)), dep].map(nameOf), what);
      if (m === 0) {
        mark[dep] = 1;
        path.push(dep);
        pathDeps.push(depsOf(dep));
        next.push(0);
      }
    }
  }
  return order;
}
