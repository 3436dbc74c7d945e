import type { Clock } from "../time/Clock.js";
import type { GroupCommit } from "./GroupCommit.js";
import type { StoreBackend } from "./StoreBackend.js";

/** What a store lends the parts it hands out (run handles, dead letters, cache): internal. */
export interface RunHost {
  readonly location: string;
  readonly backend: StoreBackend;
  readonly group: GroupCommit;
  readonly clock: Clock;
  readonly now: () => number;
  readonly heartbeatMs: number;
  /** Throws `WEIR_STORE_CLOSED` once the store is closed. */
  checkOpen(operation: string): void;
  /** Commits the open group now; rejects with its error. */
  commitAll(): Promise<void>;
  /** A handle finished: the store forgets it. */
  released(runId: string, epoch: number): void;
}
