/** One row of the runs page: a live run of this process or a run from the store. */
export interface RunSummary {
  /** `live-<n>` for a live run of this process, else the store's run id. */
  readonly id: string;
  /** Where the row comes from. */
  readonly source: "live" | "store";
  readonly kind: "pipeline" | "workflow";
  readonly name: string;
  /** `running`, `stopping`, `completed`, `failed`, `cancelled` (a store run whose owner died: `interrupted`). */
  readonly state: string;
  /** Source items fully done (pipelines) or tasks ended (workflows). */
  readonly done: number;
  /** The known total, when known. */
  readonly total: number | undefined;
  /** Items (or tasks) per second over the last sample; undefined when not known. */
  readonly rate: number | undefined;
  /** Failed attempts (pipelines) or failed tasks (workflows); undefined when not known (store runs). */
  readonly errors: number | undefined;
  readonly deadLetters: number;
  /** Wall-clock ms. */
  readonly startedAt: number;
  readonly endedAt: number | undefined;
  /** True when the page can stop (and cancel) it: a live run of this process still going. */
  readonly stoppable: boolean;
}
