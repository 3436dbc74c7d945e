import type { Packr } from "msgpackr";
import { newPackr } from "../../../load/onFirstUse.js";
import { clonesFaster } from "./clonesFaster.js";
import { itemsOf, MIN_PACKED_NUMBERS, packNumbers, unpackNumbers } from "./packNumbers.js";
import { packrOptions } from "./packrOptions.js";

/**
 * A frame this large is sent in the encoder's own buffer, and the encoder replaced, so it neither
 * copies the frame nor keeps the buffer it grew for it.
 */
const LARGE_BYTES = 16 * 1024 * 1024;

/**
 * One direction of a thread's port as msgpack frames: each message packed into a `Uint8Array`
 * of its own (its buffer transferred, so the port copies nothing), decoded in order on the other
 * side. Measured about 2.5–3x faster than structured clone for object items (bench/README.md);
 * a message of strings and other primitives only is left to structured clone, which copies
 * strings 2–3x faster ({@link clonesFaster}), and a batch or a result of numbers (or of arrays of
 * numbers) goes by structured clone with its numbers in typed arrays whose buffers are
 * transferred ({@link packNumbers}). A message that cannot be packed (a cycle, a
 * function, a symbol) is left to the caller to send by structured clone, after a reset frame:
 * record definitions it left in the encoder never reached the other side.
 *
 * Only batches and results travel as frames, and not those of a handful of primitives: every
 * other message (a start with its `workerData`, a chain, a ping, a ready, a progress note) is
 * small and rare and goes by structured clone, so a thread whose items and values are numbers or
 * strings never loads msgpackr (10–15 ms of a fresh thread's start: bench/README.md, "A thread
 * loads msgpackr when a frame first needs it"). Both ends make their msgpack state on the first
 * frame.
 */
export class FrameEncoder {
  #packr: Packr | undefined;

  /**
   * Sends the message as a frame, or its numbers packed by structured clone (`clone`, with the
   * buffer to transfer), and returns true; false when msgpack cannot carry it, or when a
   * structured clone carries it (a control message, a handful of primitives, strings): the caller
   * then sends the message itself.
   */
  encode(
    message: unknown,
    send: (frame: Uint8Array) => void,
    clone: (message: object, transfer: ArrayBuffer[]) => void,
  ): boolean {
    if (message !== null && typeof message === "object") {
      const numbers = packNumbers(message);
      if (numbers !== undefined) {
        clone(numbers.message, numbers.transfer);
        return true;
      }
      // control messages (no items: not a batch or a result), a handful of primitives, strings and
      // other primitives only: structured clone (which costs a handful no more, copies strings faster)
      if (itemsOf(message) === undefined || fewPrimitives(message) || clonesFaster(message)) return false;
    }
    let body: Uint8Array;
    try {
      body = (this.#packr ??= newPackr(packrOptions())).pack(message);
    } catch {
      this.#packr = undefined;
      // a frame of length 0 (a fresh one: a sent frame's buffer is transferred away): the
      // receiver drops its decoder's state as this side dropped its encoder's
      send(new Uint8Array(0));
      return false;
    }
    if (body.length >= LARGE_BYTES) {
      // the encoder's own buffer goes (transferred, not copied), and the encoder with it: the
      // next message starts afresh, and the reset frame says so
      this.#packr = undefined;
      send(body);
      send(new Uint8Array(0));
      return true;
    }
    // pack() returns a view of a buffer it reuses: the frame gets a buffer of its own
    const frame = new Uint8Array(body.length);
    frame.set(body);
    send(frame);
    return true;
  }
}

/** What {@link FrameDecoder.decode} returns for a reset frame (no message). */
export const FRAME_RESET: unique symbol = Symbol("weir.frameReset");

/** The receiving side of a {@link FrameEncoder}: decodes frames in order; passes other messages through. */
export class FrameDecoder {
  #unpackr: Packr | undefined;

  /**
   * The message a port delivered: a frame decoded, a reset applied ({@link FRAME_RESET}), or the
   * message itself (its packed numbers unpacked: {@link unpackNumbers}). Throws when a frame is
   * not msgpack.
   */
  decode(data: unknown): unknown {
    if (!(data instanceof Uint8Array)) return unpackNumbers(data);
    if (data.length === 0) {
      this.#unpackr = undefined;
      return FRAME_RESET;
    }
    return (this.#unpackr ??= newPackr(packrOptions())).unpack(data);
  }
}

/**
 * A batch or a result of fewer than {@link MIN_PACKED_NUMBERS} items or values, all primitives,
 * none failed (slow items travel so, one or two a batch): a clone of a handful costs no more than
 * a frame, and needs no msgpack on the other side.
 */
function fewPrimitives(message: object): boolean {
  const values = itemsOf(message);
  const failed = (message as { readonly e?: unknown }).e;
  if (!Array.isArray(values) || values.length >= MIN_PACKED_NUMBERS || (failed !== undefined && failed !== null))
    return false;
  for (let k = 0; k < values.length; k++) {
    const v: unknown = values[k];
    if (v !== null && (typeof v === "object" || typeof v === "function" || typeof v === "symbol")) return false;
  }
  return true;
}
