import { WeirError } from "./WeirError.js";

/**
 * An item of a child-process stage encodes to more bytes than the pool's `maxFrameBytes` allows
 * (`direction: "item"`), or its result does (`direction: "result"`). Only that item fails: a
 * batch over the limit is split, and each item is sent alone. Raise `maxFrameBytes`, or pass a
 * reference (a file path, a key) instead of the bytes.
 *
 * @example
 * ```ts
 * .map(child(url, "render", { maxFrameBytes: 1024 ** 3 })) // 1 GiB frames
 * ```
 */
export class ItemTooLargeError extends WeirError {
  /** The class name: `error.name`, and what `ItemTooLargeError.is(e)` matches. */
  static override readonly name: string = "ItemTooLargeError";
  /** The stage the item was sent to. */
  readonly stage: string;
  /** Source index of the item. */
  readonly index: number;
  /** The item going to its worker (`item`), or its result coming back (`result`). */
  readonly direction: "item" | "result";
  /** Encoded size, in bytes. */
  readonly bytes: number;
  /** The pool's `maxFrameBytes`. */
  readonly limitBytes: number;

  constructor(stage: string, index: number, direction: "item" | "result", bytes: number, limitBytes: number) {
    const what = direction === "item" ? "encodes to" : "has a result that encodes to";
    super(
      "WEIR_ITEM_TOO_LARGE",
      `stage "${stage}" item ${index} ${what} ${bytes} bytes, over the pool's maxFrameBytes (${limitBytes})`,
    );
    this.stage = stage;
    this.index = index;
    this.direction = direction;
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}
