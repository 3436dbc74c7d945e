import { deserialize, serialize } from "node:v8";
import { newPackr } from "../../../load/onFirstUse.js";
import { packrOptions } from "./packrOptions.js";

/** How a pipe's frames encode messages: msgpack, or V8's structured-clone format (`"ipc"`). */
export type WireFormat = "msgpack" | "ipc";

/**
 * One direction's encoder or decoder of a pipe's frame bodies. msgpack keeps state (record
 * definitions, in frame order), so each direction has its own and a reset frame starts both ends
 * afresh; V8's format keeps none.
 */
export interface WireCodec {
  /** The message's bytes (a view the next call may reuse); throws when it cannot be encoded. */
  encode(message: unknown): Uint8Array;
  /** The message a body holds; throws when the bytes are not one. */
  decode(body: Buffer): unknown;
}

/** A fresh codec of `format`. */
export function wireCodec(format: WireFormat): WireCodec {
  if (format === "ipc") return { encode: serialize, decode: deserialize };
  const packr = newPackr(packrOptions());
  return { encode: (m) => packr.pack(m), decode: (body) => packr.unpack(body) };
}
