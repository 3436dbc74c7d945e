/**
 * True when a thread message carries strings and nothing but primitives (strings, numbers,
 * booleans, bigints, null, undefined) in its fields, in arrays there and in arrays of those (a
 * batch of batches): V8's structured clone copies strings in C++, 2–3× faster than msgpack
 * encodes them in JavaScript. Numbers alone pack faster as msgpack (a clone of them measured
 * 1.3× slower), and so do objects, by 2.5× (msgpack's records send a shape once); a message
 * with any object other than an array (a plain object, a Map, a Date, a typed array) goes as a
 * frame. Either way the receiver gets the same values (a clone even keeps lone surrogates, which
 * msgpack's UTF-8 does not), so the choice, made per message, is only about speed.
 */
export function clonesFaster(message: object): boolean {
  const fields = message as Record<string, unknown>;
  strings = 0;
  for (const key in fields) {
    const v = fields[key];
    // the message's own string fields (a key prefix) do not count: only what its arrays hold
    if (typeof v === "string") continue;
    if (!primitives(v, 2)) return false;
  }
  return strings > 0;
}

/** Strings found in the arrays of the message being looked at. */
let strings = 0;

/** `v` is a primitive, or an array (nested at most `depth` deep) of nothing else; counts strings. */
function primitives(v: unknown, depth: number): boolean {
  if (v === null) return true;
  switch (typeof v) {
    case "object": {
      if (depth === 0 || !Array.isArray(v)) return false;
      const below = depth - 1;
      for (let k = 0; k < v.length; k++) if (!primitives(v[k], below)) return false;
      return true;
    }
    case "string":
      strings++;
      return true;
    case "function":
    case "symbol":
      return false;
    default:
      return true;
  }
}
