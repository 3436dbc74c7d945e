import { PersistentVector } from "./PersistentVector.js";
import { BITS, MASK, WIDTH, type TrieNode } from "./TrieNode.js";

/**
 * The mutable side of a {@link PersistentVector}: `set` and `push` change nodes in place until
 * `freeze()` hands out an immutable view; from then on the first change to a shared node copies
 * it (and its path up to the root) once. So a view costs O(1), and the next view costs
 * O(changed entries × depth), whatever the vector's size.
 *
 * @example
 * ```ts
 * const b = VectorBuilder.from(["a", "b", "c"]);
 * const v1 = b.freeze();
 * b.set(1, "B");            // copies one leaf and the root
 * const v2 = b.freeze();    // v2.get(0) === v1.get(0)
 * ```
 */
export class VectorBuilder<T> {
  /** This editing session's token: nodes carrying it are not shared yet and may change in place. */
  #edit: object = {};
  #root: TrieNode;
  #shift = 0;
  #size = 0;
  /** Nodes copied because a frozen view shared them (diagnostics: proves the sharing). */
  #copied = 0;
  /** The last view, while nothing changed since. */
  #view: PersistentVector<T> | undefined;

  constructor() {
    this.#root = { edit: this.#edit, slots: [] };
  }

  /** A builder holding `values`. */
  static from<T>(values: Iterable<T>): VectorBuilder<T> {
    const b = new VectorBuilder<T>();
    for (const v of values) b.push(v);
    return b;
  }

  /** Number of entries. */
  get size(): number {
    return this.#size;
  }

  /** Trie nodes copied so far because a frozen view shared them. */
  get copiedNodes(): number {
    return this.#copied;
  }

  /** The entry at `index` now. */
  get(index: number): T | undefined {
    if (index < 0 || index >= this.#size) return undefined;
    let node = this.#root;
    for (let shift = this.#shift; shift > 0; shift -= BITS) node = node.slots[(index >>> shift) & MASK] as TrieNode;
    return node.slots[index & MASK] as T;
  }

  /** Replaces the entry at `index` (which must be below `size`). */
  set(index: number, value: T): void {
    if (index < 0 || index >= this.#size) throw new RangeError(`index ${index} out of range 0..${this.#size - 1}`);
    this.#put(index, value);
  }

  /** Appends `value`. */
  push(value: T): void {
    if (this.#size === WIDTH << this.#shift) {
      this.#root = { edit: this.#edit, slots: [this.#root] };
      this.#shift += BITS;
    }
    this.#size++;
    this.#put(this.#size - 1, value);
  }

  /** An immutable view of the entries now; later changes copy what they touch. O(1). */
  freeze(): PersistentVector<T> {
    if (this.#view === undefined) {
      this.#view = new PersistentVector<T>(this.#root, this.#shift, this.#size);
      this.#edit = {};
    }
    return this.#view;
  }

  #put(index: number, value: T): void {
    this.#view = undefined;
    const root = this.#editable(this.#root);
    this.#root = root;
    let node = root;
    for (let shift = this.#shift; shift > 0; shift -= BITS) {
      const slot = (index >>> shift) & MASK;
      const child = node.slots[slot] as TrieNode | undefined;
      const next = child === undefined ? { edit: this.#edit, slots: [] } : this.#editable(child);
      node.slots[slot] = next;
      node = next;
    }
    node.slots[index & MASK] = value;
  }

  /** `node` itself when this session owns it, else a copy this session owns. */
  #editable(node: TrieNode): TrieNode {
    if (node.edit === this.#edit) return node;
    this.#copied++;
    return { edit: this.#edit, slots: node.slots.slice() };
  }
}
