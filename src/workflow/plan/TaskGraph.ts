import type { TaskDefinition } from "../definition/TaskDefinition.js";

/**
 * A validated workflow graph, compiled for scheduling: tasks in topological order (every task
 * after its dependencies), edges both ways as indices, each task's level (longest path from a
 * task with no dependencies) and rank (tasks on the longest path from it to a sink, itself
 * included: the critical-path length the scheduler favours). Immutable; shared by every run.
 */
export class TaskGraph {
  readonly workflow: string;
  /** Definitions in topological order. */
  readonly defs: readonly TaskDefinition[];
  readonly index: ReadonlyMap<string, number>;
  /** Dependencies of each task, as indices. */
  readonly deps: readonly (readonly number[])[];
  /** Dependents of each task, as indices. */
  readonly dependents: readonly (readonly number[])[];
  /** 0 for a task with no dependencies, else 1 + the largest level among them. */
  readonly level: readonly number[];
  /** 1 for a sink, else 1 + the largest rank among its dependents. */
  readonly rank: readonly number[];

  /** `defs` must be in topological order with every dependency known (the builder guarantees it). */
  constructor(workflow: string, defs: readonly TaskDefinition[]) {
    const n = defs.length;
    const index = new Map<string, number>();
    const deps: number[][] = new Array<number[]>(n);
    const dependents: number[][] = new Array<number[]>(n);
    const level: number[] = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      const def = defs[i]!;
      index.set(def.name, i);
      dependents[i] = [];
      const mine: number[] = new Array<number>(def.after.length);
      let lv = 0;
      for (let k = 0; k < def.after.length; k++) {
        const j = index.get(def.after[k]!);
        if (j === undefined) throw new Error(`internal: "${def.name}" precedes its dependency "${def.after[k]!}"`);
        mine[k] = j;
        dependents[j]!.push(i);
        if (level[j]! + 1 > lv) lv = level[j]! + 1;
      }
      deps[i] = mine;
      level[i] = lv;
    }
    const rank: number[] = new Array<number>(n);
    for (let i = n - 1; i >= 0; i--) {
      let r = 1;
      for (const d of dependents[i]!) if (rank[d]! + 1 > r) r = rank[d]! + 1;
      rank[i] = r;
    }
    this.workflow = workflow;
    this.defs = defs;
    this.index = index;
    this.deps = deps;
    this.dependents = dependents;
    this.level = level;
    this.rank = rank;
    Object.freeze(this);
  }

  /** Number of tasks. */
  get size(): number {
    return this.defs.length;
  }

  /** The graph of `targets` and all their ancestors (definition order kept). */
  select(targets: readonly number[]): TaskGraph {
    const keep = new Uint8Array(this.size);
    const stack = [...targets];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (keep[i] === 1) continue;
      keep[i] = 1;
      for (const j of this.deps[i]!) if (keep[j] === 0) stack.push(j);
    }
    return new TaskGraph(
      this.workflow,
      this.defs.filter((_, i) => keep[i] === 1),
    );
  }
}
