import { SerializationError } from "../errors/SerializationError.js";
import type { NewDeadLetter } from "./DeadLetterRecord.js";
import type { RunHandle } from "./RunHandle.js";

/** What {@link persistDeadLetter} did: stored (at the next group commit), or kept in memory only. */
export type PersistedDeadLetter =
  | { readonly stored: true }
  | {
      readonly stored: false;
      /** Why the store refused it (`WEIR_NOT_SERIALIZABLE`: an item msgpack cannot carry). */
      readonly error: SerializationError;
    };

/**
 * Writes a run's dead letter to its store. An item msgpack cannot carry is refused at the call
 * (nothing is queued): the caller keeps that dead letter in memory (the run's result) and emits a
 * warning event with the returned error, so nothing is dropped silently. Other errors (the handle
 * failed: fenced off, disk full) are thrown.
 *
 * @example
 * ```ts
 * run.on("stage:dead-letter", (d) => {
 *   const done = persistDeadLetter(handle, { key: `${handle.id}/${d.index}`, stage: d.stage, index: d.index,
 *     item: d.item, error: d.error, attempts: d.attempts, firstFailedAt: Date.now() });
 *   if (!done.stored) warn(done.error);
 * });
 * ```
 */
export function persistDeadLetter(handle: RunHandle, letter: NewDeadLetter): PersistedDeadLetter {
  try {
    handle.addDeadLetter(letter);
    return { stored: true };
  } catch (error) {
    if (error instanceof SerializationError) return { stored: false, error };
    throw error;
  }
}
