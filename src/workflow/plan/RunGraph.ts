import type { TaskDefinition } from "../definition/TaskDefinition.js";
import type { TaskGraph } from "./TaskGraph.js";

/**
 * One run's copy of its graph: the compiled graph's arrays, copied so that `ctx.add()` can extend
 * them without touching the graph other runs share. The name index is the compiled one until the
 * first added task copies it. Plain arrays by task index, read on the scheduler's hot path.
 */
export class RunGraph {
  readonly workflow: string;
  readonly defs: TaskDefinition[];
  /** Dependencies of each task, as indices. */
  readonly deps: (readonly number[])[];
  /** Dependents of each task, as indices (replaced, not mutated, when a task is added). */
  readonly dependents: (readonly number[])[];
  readonly priority: number[];
  /** Tasks on the longest path from each task to a sink, itself included; grows as tasks are added. */
  readonly rank: number[];
  #index: ReadonlyMap<string, number>;
  #ownIndex = false;

  constructor(graph: TaskGraph) {
    this.workflow = graph.workflow;
    this.defs = graph.defs.slice();
    this.deps = graph.deps.slice();
    this.dependents = graph.dependents.slice();
    this.priority = this.defs.map((d) => d.priority);
    this.rank = graph.rank.slice();
    this.#index = graph.index;
  }

  /** Number of tasks, added ones included. */
  get size(): number {
    return this.defs.length;
  }

  /** Name → index (it grows with added tasks; snapshots bound their lookups by their own size). */
  get index(): ReadonlyMap<string, number> {
    return this.#index;
  }

  /** Appends a task whose dependencies are `deps` (all already in the graph); returns its index. */
  append(def: TaskDefinition, deps: readonly number[]): number {
    const i = this.defs.length;
    if (!this.#ownIndex) {
      this.#index = new Map(this.#index);
      this.#ownIndex = true;
    }
    (this.#index as Map<string, number>).set(def.name, i);
    this.defs.push(def);
    this.deps.push(deps);
    this.dependents.push([]);
    for (const j of deps) this.dependents[j] = [...this.dependents[j]!, i];
    this.priority.push(def.priority);
    this.rank.push(1);
    return i;
  }

  /**
   * Tasks `deps` gained a dependent whose remaining path makes theirs at least `rank`: raises it,
   * and their ancestors' in turn, as long as `pending(j)` holds and the rank grows (a task that
   * started has only finished ancestors). `raised(j)` is told of each change, so a queue can
   * re-order. Costs O(tasks whose rank grows).
   */
  raiseRanks(
    deps: readonly number[],
    rank: number,
    pending: (j: number) => boolean,
    raised: (j: number) => void,
  ): void {
    const stack: number[] = [];
    for (const j of deps) stack.push(j, rank);
    while (stack.length > 0) {
      const r = stack.pop()!;
      const j = stack.pop()!;
      if (!pending(j) || this.rank[j]! >= r) continue;
      this.rank[j] = r;
      raised(j);
      for (const k of this.deps[j]!) stack.push(k, r + 1);
    }
  }
}
