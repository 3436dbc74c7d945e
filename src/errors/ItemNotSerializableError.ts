import { WeirError } from "./WeirError.js";

/**
 * An item of a pool stage could not be encoded to go to its worker (`direction: "item"`), or its
 * result could not be encoded to come back (`direction: "result"`): it holds a symbol or a
 * function, or (over msgpack, the default wire of child processes) a cycle or nesting deeper than
 * the encoder's stack. Only that item fails; the items around it go on. The encoder's own error
 * is the `cause`. Structured clone (worker threads; `wire: "ipc"`) carries cycles; nothing carries
 * symbols or functions.
 *
 * @example
 * ```ts
 * .map(child(url, "parse"), { onError: "dead-letter" }) // an item with a function in it is dead-lettered with WEIR_ITEM_NOT_SERIALIZABLE
 * ```
 */
export class ItemNotSerializableError extends WeirError {
  /** The class name: `error.name`, and what `ItemNotSerializableError.is(e)` matches. */
  static override readonly name: string = "ItemNotSerializableError";
  /** The stage the item was sent to. */
  readonly stage: string;
  /** Source index of the item. */
  readonly index: number;
  /** The item going to its worker (`item`), or its result coming back (`result`). */
  readonly direction: "item" | "result";
  /** Where the worker runs: `worker` (thread) or `process`. */
  readonly context: "worker" | "process";

  constructor(
    stage: string,
    index: number,
    direction: "item" | "result",
    context: "worker" | "process",
    cause: unknown,
  ) {
    const where = context === "worker" ? "a worker thread" : "a child process";
    const what =
      direction === "item" ? `cannot be sent to ${where}` : `has a result that cannot come back from ${where}`;
    super("WEIR_ITEM_NOT_SERIALIZABLE", `stage "${stage}" item ${index} ${what}: ${describe(cause)}`, { cause });
    this.stage = stage;
    this.index = index;
    this.direction = direction;
    this.context = context;
  }
}

/** The encoder's complaint in words (a stack overflow is a cycle or a too deep nesting). */
function describe(cause: unknown): string {
  // by name: a cause rebuilt from a worker's report is a plain Error named after its class
  if (cause instanceof Error && cause.name === "RangeError" && /call stack/i.test(cause.message)) {
    return 'it is cyclic or nested too deeply for msgpack (wire: "ipc" carries cycles)';
  }
  return cause instanceof Error ? cause.message : String(cause);
}
