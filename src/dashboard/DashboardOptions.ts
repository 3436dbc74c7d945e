import type { ExecutionPlan } from "../plan/ExecutionPlan.js";
import type { Run } from "../run/Run.js";
import type { DeadLetterRecord } from "../store/DeadLetterRecord.js";
import type { Store } from "../store/Store.js";
import type { WorkflowPlan } from "../workflow/plan/WorkflowPlan.js";
import type { EventHandler } from "../events/EventBus.js";
import type { WorkflowSnapshot } from "../state/WorkflowSnapshot.js";
import type { WorkflowEvents } from "../workflow/results/WorkflowEvents.js";

/** What the dashboard uses of a `WorkflowRun` (whatever its result type). */
export interface WatchableWorkflowRun {
  readonly workflow: string;
  snapshot(): WorkflowSnapshot;
  on<K extends keyof WorkflowEvents>(type: K, handler: EventHandler<WorkflowEvents[K]>): () => void;
  stop(): Promise<unknown>;
  cancel(reason?: unknown): void;
}

/** A run the dashboard can watch live: a pipeline's `Run` or a `WorkflowRun`. */
export type WatchableRun = Run | WatchableWorkflowRun;

/**
 * A live run with its plan: the pipeline's `p.plan()` (the graph page draws its steps and
 * channels) or the workflow's `wf.plan()` (the DAG page draws its dependencies). Without a plan a
 * pipeline is drawn as a chain of its stages and a workflow's tasks without edges.
 */
export interface WatchedRun {
  readonly run: WatchableRun;
  readonly plan?: ExecutionPlan | WorkflowPlan;
}

/**
 * Replays dead letters chosen on the page: run them again (through a pipeline, a queue…). The
 * dashboard marks them replayed in the store once it resolves. `item` is the edited item when the
 * page edited it (edit-and-replay), else the stored one.
 */
export type ReplayHandler = (letters: readonly DeadLetterRecord[]) => Promise<void> | void;

/**
 * Options of `dashboard()`.
 *
 * @example
 * ```ts
 * const db = await dashboard({ runs: [{ run, plan: p.plan() }], store });
 * console.log(db.url); // http://127.0.0.1:43817/?token=…
 * ```
 */
export interface DashboardOptions {
  /** Live runs of this process to show (more with `dashboard.watch()`). @default none */
  readonly runs?: Iterable<WatchableRun | WatchedRun>;
  /** A store whose runs and dead letters the pages show (and purge, replay). @default none */
  readonly store?: Store;
  /** The port; 0 picks a free one. @default 0 */
  readonly port?: number;
  /**
   * The address to listen on. Anything but a loopback address (127.0.0.1, ::1, localhost) needs
   * `allowRemote: true`, and prints a warning: the token in the URL is then all that guards it.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /** Allows a `host` other than a loopback address. @default false */
  readonly allowRemote?: boolean;
  /** Replays dead letters from the page; without it the replay buttons are disabled. @default none */
  readonly replay?: ReplayHandler;
  /** How often live runs are sampled (rates, charts, server-sent updates), in ms. @default 500 */
  readonly sampleMs?: number;
  /**
   * Where the URL (and a non-loopback warning) is printed: a function given each line, or false
   * for nowhere. @default a line on stderr
   */
  readonly print?: ((line: string) => void) | false;
  /**
   * Keep the process alive while the dashboard is open. False for a dashboard beside a run
   * (`run({ dashboard: true })`): the process exits when its work is done. @default true
   */
  readonly holdProcess?: boolean;
}

/** Defaults of {@link DashboardOptions}. */
export const dashboardDefaults = Object.freeze({
  port: 0,
  host: "127.0.0.1",
  allowRemote: false,
  sampleMs: 500,
  holdProcess: true,
});
