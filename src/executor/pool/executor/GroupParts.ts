import type { Attempt, FailedStep, Group, GroupFailure, Settle } from "../../Executor.js";
import { groupIndexAt } from "../../groupIndex.js";

/**
 * A {@link Group} split into its items, each an attempt of its own (a worker died holding the
 * group beside other work: each item goes again alone, to find the one that killed it, as any
 * batch's items do; Blame, docs/contexts.md). The group still ends once: when its last part
 * settles, with every value and failure its parts reported, in order.
 */
export class GroupParts {
  readonly #group: Group;
  readonly #values: unknown[];
  #failures: GroupFailure[] | undefined = undefined;
  #left: number;

  constructor(group: Group) {
    this.#group = group;
    this.#values = new Array<unknown>(group.size);
    this.#left = group.size;
  }

  /** Item `at` of the group as an attempt of its own, settling into this group. */
  part(at: number): GroupPart {
    const g = this.#group;
    return new GroupPart(this, at, g.items[at], groupIndexAt(g, at), g.signal);
  }

  /** Item `at` ran to `value`. */
  resolved(at: number, value: unknown): void {
    this.#values[at] = value;
    this.#settledOne();
  }

  /** Item `at` failed with `error` (`step`: where in a chain). */
  failed(at: number, error: unknown, step?: FailedStep): void {
    (this.#failures ??= []).push({ at, error, step });
    this.#settledOne();
  }

  #settledOne(): void {
    if (--this.#left > 0) return;
    const failures = this.#failures?.sort((a, b) => a.at - b.at);
    this.#group.owner.resolveGroup(this.#group, this.#values, 0, failures);
  }
}

/** One item of a split group: its attempt and its settle in one. */
export class GroupPart implements Attempt, Settle {
  readonly attempt = 1;

  constructor(
    readonly parts: GroupParts,
    readonly at: number,
    readonly item: unknown,
    readonly index: number,
    readonly signal: AbortSignal,
  ) {}

  readonly resolve = (value: unknown): void => this.parts.resolved(this.at, value);
  readonly reject = (error: unknown, step?: FailedStep): void => this.parts.failed(this.at, error, step);
}
