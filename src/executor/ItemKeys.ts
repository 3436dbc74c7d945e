import type { ChildKeys } from "./ChildKeys.js";

/**
 * How a durable run names its items (`ctx.key`): `<runId>/<index>` with one source;
 * `<runId>/<source name>/<position>` with several (the run-wide index `p × sources + k` is the
 * item at position `p` of source `k`); a flatMap's child, its parent's key and `/<position>`
 * ({@link ChildKeys}). Plain data but for `children`, so a worker thread or child process derives
 * the same keys from the same index (a batch holding children sends their keys instead).
 */
export interface ItemKeys {
  /** `<runId>/`. */
  readonly prefix: string;
  /** The pipeline's source names, in numbering order, when it has several; absent with one. */
  readonly sources?: readonly string[] | undefined;
  /** Keys given item by item (a dead-letter replay: each item's original key), by index. */
  readonly listed?: readonly string[] | undefined;
  /** The keys of the run's flatMap children (ids that are not integers); main thread only. */
  readonly children?: ChildKeys | undefined;
}

/** The key of the item with run-wide source index `index` (or a flatMap child's id). */
export function itemKey(keys: ItemKeys, index: number): string {
  if (index % 1 !== 0 && keys.children !== undefined) return keys.children.keyOf(index);
  const listed = keys.listed?.[index];
  if (listed !== undefined) return listed;
  const sources = keys.sources;
  if (sources === undefined || sources.length < 2) return keys.prefix + index;
  const k = index % sources.length;
  return `${keys.prefix}${sources[k]}/${(index - k) / sources.length}`;
}

const given = new WeakMap<object, ItemKeys>();

/** Runs started with these very `options` key their items with `keys` (a dead-letter replay's run). */
export function giveItemKeys(options: object, keys: ItemKeys): void {
  given.set(options, keys);
}

/** The keys {@link giveItemKeys} gave runs started with `options`. */
export function givenItemKeys(options: object): ItemKeys | undefined {
  return given.get(options);
}
