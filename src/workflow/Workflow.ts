import { isPoolStage, type PoolStage } from "../executor/pool/stage/PoolStage.js";
import { openDashboard } from "../run/openDashboard.js";
import { CycleError } from "../errors/CycleError.js";
import { WorkflowError } from "../errors/WorkflowError.js";
import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { planWorkflow } from "./plan/planWorkflow.js";
import { taskDefinition, type TaskDefinition } from "./definition/TaskDefinition.js";
import type { DependencyResults, Known, NoResults } from "./definition/TaskContext.js";
import type { TaskFunction } from "./definition/TaskFunction.js";
import { TaskGraph } from "./plan/TaskGraph.js";
import type { FailurePolicy, TaskOptions } from "./definition/TaskOptions.js";
import { topologicalOrder } from "../graph/topologicalOrder.js";
import type { WorkflowPlan } from "./plan/WorkflowPlan.js";
import { WorkflowRun } from "./run/WorkflowRun.js";
import { fillRunOptions, type WorkflowRunOptions } from "./run/WorkflowRunOptions.js";

export type { DependencyResults } from "./definition/TaskContext.js";

/** `N` when it is a new task name, `never` (a type error) when the builder already has it. */
type NewName<N extends string, R> = string extends keyof R ? N : N extends keyof R ? never : N;
/**
 * The result map a task's `ctx.add()` is typed against: the tasks defined before it, and the task
 * itself, its result `unknown` (it is still being inferred).
 */
type Defined<R, N extends string> = R & { readonly [K in N]: unknown };
/** A task's result type as its dependents see it: `undefined` too when it fails under "continue". */
type Seen<T, F> = F extends "continue" ? T | undefined : T;
/** An empty record: the results of a workflow with no tasks yet. */
type None = NoResults;

/**
 * A task given as data, for graphs built from configuration (see {@link Workflow.tasks}).
 *
 * @example
 * ```ts
 * { name: "compile:a", after: ["fetch"], run: ({ results }) => compile(results.fetch) }
 * ```
 */
export interface TaskSpec extends TaskOptions {
  readonly name: string;
  readonly run: TaskFunction<Record<string, unknown>, unknown>;
}

/**
 * A workflow: a graph of named tasks with dependencies. Immutable: `.task()` returns a new
 * workflow whose type records the task's result, so dependents' `ctx.results` are typed without
 * casts. Each definition is validated where it is written: a duplicate name, an unknown
 * dependency or (with {@link Workflow.tasks}) a cycle throws there.
 *
 * @example
 * ```ts
 * const wf = workflow("nightly")
 *   .task("extract", async ({ signal }) => fetchAll(signal))
 *   .task("transform", { after: ["extract"], retry: 3 }, ({ results }) => clean(results.extract))
 *   .task("load", { after: ["transform"] }, ({ results }) => save(results.transform));
 * const r = await wf.run({ concurrency: 4 });
 * ```
 */
export class Workflow<R = None> {
  /** The workflow's name (in events, errors and results). */
  readonly name: string;
  /** Definitions in topological order, shared with the builders this one was made from. */
  readonly #defs: TaskDefinition[];
  /** How many of `#defs` belong to this builder (the array may hold a later builder's too). */
  readonly #count: number;
  /** Name → index in `#defs`, shared like `#defs`; entries at or past `#count` are not ours. */
  readonly #index: Map<string, number>;
  #graph: TaskGraph | undefined;

  /** @internal Use {@link workflow}. */
  constructor(name: string, defs: TaskDefinition[] = [], count = 0, index = new Map<string, number>()) {
    this.name = name;
    this.#defs = defs;
    this.#count = count;
    this.#index = index;
  }

  /** Number of tasks defined. */
  get size(): number {
    return this.#count;
  }

  /** Task names, in topological order. */
  get taskNames(): readonly string[] {
    return this.#defs.slice(0, this.#count).map((d) => d.name);
  }

  /** Adds a task with no dependencies. */
  task<const N extends string, T>(
    name: N & NewName<N, R>,
    fn: TaskFunction<None, T, Defined<R, N>>,
  ): Workflow<R & { readonly [K in N]: T }>;
  /** Adds a task; `options.after` names tasks defined before it. */
  task<
    const N extends string,
    T,
    const D extends readonly Known<R>[] = readonly [],
    F extends FailurePolicy = "skip-dependents",
  >(
    name: N & NewName<N, R>,
    options: TaskOptions<D, F>,
    fn: TaskFunction<DependencyResults<R, D>, T, Defined<R, N>>,
  ): Workflow<R & { readonly [K in N]: Seen<T, F> }>;
  /**
   * Adds a task that runs in a worker thread or child process: `worker(url, "exportName")` or
   * `child(...)`. The export is called with the dependency results (structured-cloneable) and
   * the task context's signal, attempt and name.
   */
  task<
    const N extends string,
    T,
    const D extends readonly Known<R>[] = readonly [],
    F extends FailurePolicy = "skip-dependents",
  >(
    name: N & NewName<N, R>,
    options: TaskOptions<D, F>,
    fn: PoolStage<DependencyResults<R, D>, T>,
  ): Workflow<R & { readonly [K in N]: Seen<Awaited<T>, F> }>;
  task<S>(name: string, optionsOrFn: unknown, fn?: unknown): Workflow<S> {
    const [options, f] =
      typeof optionsOrFn === "function" || isPoolStage(optionsOrFn) ? [undefined, optionsOrFn] : [optionsOrFn, fn];
    const def = taskDefinition(this.name, name, options, f);
    this.#check(def, (d) => this.#has(d));
    return this.#with<S>([def]);
  }

  /**
   * Adds tasks given as data, in any order: each may depend on tasks defined before or in the
   * same batch. The batch is checked as a whole (duplicates, unknown dependencies, cycles: a
   * `CycleError` names the tasks on the cycle). Their results are typed `unknown`.
   *
   * @example
   * ```ts
   * workflow("build").tasks(packages.map((p) => ({ name: p.name, after: p.deps, run: () => build(p) })));
   * ```
   */
  tasks(specs: readonly TaskSpec[]): Workflow<R & Record<string, unknown>> {
    if (!Array.isArray(specs))
      throw new InvalidOptionError("tasks", "an array of task specs", specs, `workflow "${this.name}"`);
    const batch: TaskDefinition[] = [];
    const position = new Map<string, number>();
    for (const spec of specs) {
      const { name, run, ...options } = spec;
      const def = taskDefinition(this.name, name, options, run);
      if (position.has(def.name)) throw this.#duplicate(def.name);
      position.set(def.name, batch.length);
      batch.push(def);
    }
    for (const def of batch) this.#check(def, (d) => this.#has(d) || position.has(d));
    // only dependencies within the batch order it: the tasks defined before it come first anyway
    const depsInBatch = (k: number): number[] => {
      const deps: number[] = [];
      for (const d of batch[k]!.after) {
        const j = position.get(d);
        if (j !== undefined) deps.push(j);
      }
      return deps;
    };
    const order = topologicalOrder(batch.length, depsInBatch, (k) => batch[k]!.name);
    return this.#with(order.map((k) => batch[k]!)) as Workflow<R & Record<string, unknown>>;
  }

  /**
   * How the workflow will be scheduled: levels, each task's remaining path, the critical path and
   * the maximum parallelism, as plain JSON-serializable data.
   */
  plan(): WorkflowPlan {
    return planWorkflow(this.#compiled());
  }

  /**
   * Runs the workflow. Returns at once; the run is awaitable and resolves with every task's
   * final state (it does not reject when tasks fail: check `result.ok`). Invalid options throw here.
   *
   * @example
   * ```ts
   * const r = await wf.run({ concurrency: 8 });
   * const again = await wf.run({ reuse: r });
   * ```
   */
  run(options: WorkflowRunOptions<Known<R>> = {}): WorkflowRun<R> {
    const where = `workflow "${this.name}"`;
    const filled = fillRunOptions(options, where);
    let graph = this.#compiled();
    if (filled.only !== undefined) {
      const targets = filled.only.map((name, k) => {
        const i = graph.index.get(name);
        if (i === undefined)
          throw new InvalidOptionError(`only[${k}]`, "the name of a task of this workflow", name, where);
        return i;
      });
      graph = graph.select(targets);
    }
    const run = new WorkflowRun<R>(graph, filled);
    openDashboard({ run, plan: () => planWorkflow(graph) }, filled.dashboard);
    return run;
  }

  #compiled(): TaskGraph {
    return (this.#graph ??= new TaskGraph(this.name, this.#defs.slice(0, this.#count)));
  }

  #has(name: string): boolean {
    const i = this.#index.get(name);
    return i !== undefined && i < this.#count;
  }

  #duplicate(name: string): WorkflowError {
    return new WorkflowError(this.name, name, "a task with this name is already defined", "WEIR_DUPLICATE_NAME");
  }

  #check(def: TaskDefinition, known: (name: string) => boolean): void {
    if (this.#has(def.name)) throw this.#duplicate(def.name);
    for (const d of def.after) {
      if (d === def.name) throw new CycleError([d, d], "dependency");
      if (!known(d)) {
        throw new WorkflowError(
          this.name,
          def.name,
          `depends on unknown task "${d}" (define a task before naming it in after, or use .tasks([...]))`,
        );
      }
    }
  }

  /** A builder with `defs` appended: shares this one's arrays unless another builder already extended them. */
  #with<S>(defs: readonly TaskDefinition[]): Workflow<S> {
    let all = this.#defs;
    let index = this.#index;
    if (all.length !== this.#count) {
      all = all.slice(0, this.#count);
      index = new Map(all.map((d, i) => [d.name, i]));
    }
    for (const def of defs) {
      index.set(def.name, all.length);
      all.push(def);
    }
    return new Workflow<S>(this.name, all, all.length, index);
  }
}
