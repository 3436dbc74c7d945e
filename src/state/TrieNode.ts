/**
 * A node of the 32-way trie behind {@link PersistentVector}: leaves hold values, branches hold
 * nodes. `edit` is the token of the {@link VectorBuilder} session that may still mutate it in
 * place; once that session froze a view, the node is shared and is copied before any change.
 */
export interface TrieNode {
  edit: object;
  readonly slots: unknown[];
}

/** Bits of index consumed per trie level. */
export const BITS = 5;
/** Slots per node. */
export const WIDTH = 1 << BITS;
/** Mask for one level's slot. */
export const MASK = WIDTH - 1;
