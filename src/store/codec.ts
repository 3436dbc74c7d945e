import type { Packr } from "msgpackr";
import { newPackr } from "../load/onFirstUse.js";
import { SerializationError } from "../errors/SerializationError.js";

/**
 * How the store turns values into bytes: msgpack (msgpackr) with plain objects, Dates, Maps, Sets,
 * typed arrays, BigInts and errors kept apart, each blob self-contained (no `structures` shared
 * between blobs: msgpackr then defines each record shape inside the blob that uses it, so any row
 * decodes alone, in any order, by another process). Functions, symbols and cycles are refused: a
 * value that cannot come back as it went in is not stored.
 */
const options = (): ConstructorParameters<typeof Packr>[0] => ({
  moreTypes: true,
  mapsAsObjects: false,
  useRecords: true,
  writeFunction: () => {
    throw new TypeError("a function cannot be stored");
  },
});
/** Made on first use: msgpackr loads then, not when weir is imported. */
let packr: Packr | undefined;
let unpackr: Packr | undefined;

/** The value as bytes; throws a {@link SerializationError} naming `what` and `where` when msgpack cannot carry it. */
export function encode(value: unknown, what: string, where?: string): Uint8Array {
  try {
    // pack() returns a view of a buffer it reuses: the blob gets its own copy
    return Uint8Array.prototype.slice.call((packr ??= newPackr(options())).pack(value));
  } catch (error) {
    const tooDeep = error instanceof RangeError && /call stack/i.test(error.message);
    const cause = tooDeep
      ? new TypeError("the value contains a cycle or is nested too deeply", { cause: error })
      : error;
    throw new SerializationError(what, cause, where);
  }
}

/** The value `encode()` wrote. */
export function decode(bytes: Uint8Array): unknown {
  return (unpackr ??= newPackr(options())).unpack(bytes);
}
