/** True when `value` can be a pipeline source (checked when the pipeline is defined). */
export function isSourceInput(value: unknown): boolean {
  if (typeof value === "function") return true;
  if (value === null || typeof value !== "object") return typeof value === "string";
  return Symbol.iterator in value || Symbol.asyncIterator in value || isWebStream(value);
}

/** A web ReadableStream (duck-typed: any realm, any implementation). */
export function isWebStream(value: object): boolean {
  const v = value as Partial<ReadableStream>;
  return typeof v.getReader === "function" && typeof v.cancel === "function" && typeof v.tee === "function";
}
