import { BITS, MASK, type TrieNode } from "./TrieNode.js";

/**
 * An immutable, indexed sequence that shares structure with the versions before and after it: a
 * 32-way trie, so `get` walks at most ⌈log32 n⌉ nodes (3 for 32,768 entries), and a new version
 * made by a {@link VectorBuilder} copies only the paths that changed.
 *
 * @example
 * ```ts
 * const b = new VectorBuilder<string>();
 * b.push("a"); b.push("b");
 * const v1 = b.freeze();
 * b.set(0, "A");
 * const v2 = b.freeze(); // v1.get(0) === "a", v2.get(0) === "A"; they share the rest
 * ```
 */
export class PersistentVector<T> implements Iterable<T> {
  /** Number of entries. */
  readonly size: number;
  readonly #root: TrieNode;
  readonly #shift: number;

  /** @internal Made by {@link VectorBuilder.freeze}. */
  constructor(root: TrieNode, shift: number, size: number) {
    this.#root = root;
    this.#shift = shift;
    this.size = size;
    Object.freeze(this);
  }

  /** The entry at `index`, or undefined when out of range. */
  get(index: number): T | undefined {
    if (index < 0 || index >= this.size) return undefined;
    let node = this.#root;
    for (let shift = this.#shift; shift > 0; shift -= BITS) node = node.slots[(index >>> shift) & MASK] as TrieNode;
    return node.slots[index & MASK] as T;
  }

  /** Entries in index order. */
  *[Symbol.iterator](): Iterator<T> {
    yield* walk<T>(this.#root, this.#shift, this.size);
  }

  /** The entries as a new array. */
  toArray(): T[] {
    return [...this];
  }
}

/** Depth-first, left-to-right walk of the first `size` entries under `node`. */
function* walk<T>(node: TrieNode, shift: number, size: number): Generator<T> {
  if (shift === 0) {
    const n = Math.min(size, node.slots.length);
    for (let i = 0; i < n; i++) yield node.slots[i] as T;
    return;
  }
  const span = 1 << shift;
  for (let i = 0; i < node.slots.length && size > 0; i++) {
    yield* walk<T>(node.slots[i] as TrieNode, shift - BITS, Math.min(size, span));
    size -= span;
  }
}
