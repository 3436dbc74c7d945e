import { requireFrom } from "./requireFrom.js";
import type * as Crypto from "node:crypto";
import type * as Fs from "node:fs";
import type * as V8 from "node:v8";
import type * as Msgpackr from "msgpackr";

/**
 * Modules weir loads on first use rather than when it is imported: `import { pipeline } from
 * "weir"` should cost little more than plain Node (bench/import-cost.ts). `node:crypto`,
 * `node:v8` and msgpackr each add milliseconds and megabytes to start-up, and most runs never
 * hash, serialize or store anything. They load synchronously here, the first time they are
 * needed: the builtins through `process.getBuiltinModule`, msgpackr through Node's own `require`
 * (its CommonJS build). `node:fs` is loaded already, but an ES module `import` of it builds a
 * namespace of all its exports, which runs its lazy getters (`fs.promises`, the stream classes)
 * and loads Node's streams: about 3.5 ms on import (bench/README.md, "Import cost");
 * `getBuiltinModule` hands the module over without touching them. The `require` is made on the
 * first load of msgpackr: making one resolves paths.
 */
let required: NodeJS.Require | undefined;

let crypto: typeof Crypto | undefined;
let fs: typeof Fs | undefined;
let v8: typeof V8 | undefined;
let msgpackr: typeof Msgpackr | undefined;

/** `createHash` of `node:crypto`. */
export function createHash(algorithm: string): Crypto.Hash {
  crypto ??= process.getBuiltinModule("node:crypto");
  return crypto.createHash(algorithm);
}

/** `randomUUID` of `node:crypto`. */
export function randomUUID(): string {
  crypto ??= process.getBuiltinModule("node:crypto");
  return crypto.randomUUID();
}

/** `existsSync` of `node:fs`. */
export function existsSync(path: Fs.PathLike): boolean {
  fs ??= process.getBuiltinModule("node:fs");
  return fs.existsSync(path);
}

/** `readFileSync` of `node:fs`, as text. */
export function readTextFileSync(path: Fs.PathOrFileDescriptor): string {
  fs ??= process.getBuiltinModule("node:fs");
  return fs.readFileSync(path, "utf8");
}

/** `serialize` of `node:v8`. */
export function serialize(value: unknown): Buffer {
  v8 ??= process.getBuiltinModule("node:v8");
  return v8.serialize(value);
}

/** `deserialize` of `node:v8`. */
export function deserialize(bytes: Buffer): unknown {
  v8 ??= process.getBuiltinModule("node:v8");
  return v8.deserialize(bytes);
}

/** A new msgpackr `Packr`. */
export function newPackr(options: ConstructorParameters<typeof Msgpackr.Packr>[0]): Msgpackr.Packr {
  msgpackr ??= (required ??= requireFrom(import.meta.url))("msgpackr") as typeof Msgpackr;
  return new msgpackr.Packr(options);
}
