import { WeirError } from "../errors/WeirError.js";

/** An error as the store keeps it: what a dead letter or a failed run shows after the process is gone. */
export interface StoredError {
  /** The class (`error.name`), or the type of a thrown non-error (`"string"`, `"object"`). */
  readonly name: string;
  /** A weir error's `code`, or a Node system error's (`"ECONNRESET"`); undefined when none. */
  readonly code: string | undefined;
  readonly message: string;
  readonly stack: string | undefined;
  /** The `cause` chain, outermost first, at most `maxCauseDepth` deep. */
  readonly causes: readonly StoredError[];
}

/** How many causes {@link storedError} follows. */
export const maxCauseDepth = 8;

/** Turns anything thrown into a {@link StoredError}: name, code, message, stack and cause chain (cycles cut). */
export function storedError(error: unknown): StoredError {
  const seen = new Set<unknown>();
  const chain: StoredError[] = [];
  let current: unknown = error;
  while (chain.length <= maxCauseDepth && current !== undefined && !seen.has(current)) {
    seen.add(current);
    chain.push(flat(current));
    current = current instanceof Error ? current.cause : undefined;
  }
  const [head, ...causes] = chain;
  return { ...(head ?? flat(error)), causes };
}

function flat(value: unknown): StoredError {
  if (value instanceof Error) {
    const code = WeirError.is(value) ? value.code : (value as { code?: unknown }).code;
    return {
      name: value.name,
      code: typeof code === "string" ? code : undefined,
      message: value.message,
      stack: value.stack,
      causes: [],
    };
  }
  return {
    name: value === null ? "null" : typeof value,
    code: undefined,
    message: typeof value === "string" ? value : safeJson(value),
    stack: undefined,
    causes: [],
  };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
