import type { RunHandle } from "../../store/RunHandle.js";
import { persistDeadLetter } from "../../store/persistDeadLetter.js";
import type { TaskResultRecord } from "../../store/TaskRecords.js";
import type { TaskDefinition } from "../definition/TaskDefinition.js";
import type { StoredTaskResult, TaskRecorder } from "../lifecycle/TaskRecorder.js";

/**
 * A durable workflow run's {@link TaskRecorder}: task results and added tasks go to the run's
 * store handle. Results of tasks completing in the same event-loop turn share one commit (one
 * transaction); a task counts as done once its commit resolved.
 */
export class TaskJournal implements TaskRecorder {
  readonly handle: RunHandle;
  /** Results stored before this claim: what a resumed adder's re-added tasks complete with. */
  readonly #stored: ReadonlyMap<string, TaskResultRecord>;
  #flush: Promise<void> | undefined;

  constructor(handle: RunHandle, stored: ReadonlyMap<string, TaskResultRecord>) {
    this.handle = handle;
    this.#stored = stored;
  }

  completed(task: string, result: unknown, attempts: number): Promise<void> {
    this.handle.recordTaskResult(task, result, { attempts }); // throws when it cannot be stored
    return (this.#flush ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
      this.#flush = undefined;
      return this.handle.commit();
    }));
  }

  added(task: string, parent: string, def: TaskDefinition): void {
    this.handle.recordAddedTask({ task, parent, spec: { after: def.after, fingerprint: def.fingerprint } });
  }

  failed(task: string, item: unknown, error: unknown, attempts: number): { readonly refused: unknown } | undefined {
    const at = Date.now();
    const outcome = persistDeadLetter(this.handle, {
      key: `${this.handle.id}/${task}`,
      stage: task,
      item,
      error,
      attempts,
      firstFailedAt: at,
      lastFailedAt: at,
    });
    return outcome.stored ? undefined : { refused: outcome.error };
  }

  storedResult(task: string): StoredTaskResult | undefined {
    return this.#stored.get(task);
  }
}
