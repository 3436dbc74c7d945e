import { Packr } from "msgpackr";

/** Plain msgpack (no shared record shapes): the same value gives the same bytes every time. */
const plain = new Packr({ useRecords: false, moreTypes: true, mapsAsObjects: false });

/**
 * A 32-bit digest of an item's content (FNV-1a over its plain msgpack bytes). With the item's
 * source index it identifies an item across a durable run's incarnations: two items of one index
 * (a flatMap's outputs) differ by content, and two with the same content get the same answer. An
 * item msgpack cannot carry gets 0 (it will fail to pack anyway).
 */
export function itemDigest(item: unknown): number {
  let bytes: Uint8Array;
  try {
    bytes = plain.pack(item);
  } catch {
    return 0;
  }
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i]!;
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
