import type { DeadLetterFilter, DeadLetterPage, DeadLetterPaging, DeadLetterRecord } from "./DeadLetterRecord.js";

/**
 * The store's dead letters, across runs: what `weir dlq ls/show/purge/replay` read and change. Runs
 * add them through their handle (`addDeadLetter`), fenced by the run's epoch. Every call here
 * first commits what is queued, so it sees (and purges) dead letters added just before.
 */
export interface DeadLetters {
  /** One page of the dead letters matching `filter`, ascending by id. */
  list(filter?: DeadLetterFilter & DeadLetterPaging): Promise<DeadLetterPage>;
  /** How many match. */
  count(filter?: DeadLetterFilter): Promise<number>;
  /** One dead letter, or undefined. */
  get(id: number): Promise<DeadLetterRecord | undefined>;
  /** Deletes the given ids (or, without `ids`, every dead letter matching the filter; `{}` deletes all); resolves with how many. */
  purge(selection: DeadLetterFilter & { readonly ids?: readonly number[] }): Promise<number>;
  /** Marks dead letters replayed (at `at`, default now); resolves with how many were found. */
  markReplayed(ids: readonly number[], at?: number): Promise<number>;
}
