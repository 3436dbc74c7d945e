/**
 * True when a thread message carries strings and nothing but primitives (strings, numbers,
 * booleans, bigints, null, undefined) in its fields, in arrays there and in arrays of those (a
 * batch of batches): V8's structured clone copies strings in C++, 2–3× faster than msgpack
 * encodes them in JavaScript. Numbers alone pack faster as msgpack (a clone of them measured
 * 1.3× slower; typed arrays are faster still: `packNumbers`, asked first, packs them for a
 * thread, and for a pipe unless all are 32-bit integers),
 * and so do objects, by 2.5× (msgpack's records send a shape once); a message
 * with any object other than an array (a plain object, a Map, a Date, a typed array) goes as a
 * frame. Either way the receiver gets the same values (a clone even keeps lone surrogates, which
 * msgpack's UTF-8 does not), so the choice, made per message, is only about speed. `numbers`
 * names a field the caller already found to hold numbers and nothing else (a batch's items that
 * are all integers: `packNumbers`): it is not looked at again.
 */
export function clonesFaster(message: object, numbers?: string): boolean {
  const fields = message as Record<string, unknown>;
  let found = 0;
  for (const key in fields) {
    const v = fields[key];
    // the message's own string fields (a key prefix) do not count: only what its arrays hold
    if (typeof v === "string" || key === numbers) continue;
    const n = stringsIn(v, 2);
    if (n < 0) return false;
    found += n;
  }
  return found > 0;
}

/**
 * The strings in `v` when it is a primitive, or an array (nested at most `depth` deep) of nothing
 * else; -1 otherwise.
 */
function stringsIn(v: unknown, depth: number): number {
  if (v === null) return 0;
  switch (typeof v) {
    case "object": {
      if (depth === 0 || !Array.isArray(v)) return -1;
      let found = 0;
      for (let k = 0; k < v.length; k++) {
        const n = stringsIn(v[k], depth - 1);
        if (n < 0) return -1;
        found += n;
      }
      return found;
    }
    case "string":
      return 1;
    case "function":
    case "symbol":
      return -1;
    default:
      return 0;
  }
}
