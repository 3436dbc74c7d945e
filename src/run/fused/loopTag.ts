const sourceText = Function.prototype.toString;

/**
 * A comment that makes a generated fused loop's source text depend on the stage functions it
 * calls, not only on their kinds. V8 keeps the code and the type feedback of a `new Function`
 * by its source text: without the tag, every pipeline of the same shape in a process (say
 * `map → filter → map → sink`) shares one loop, whose call sites then see every pipeline's
 * functions and stop inlining any of them (a pipeline ran 1.7-2.7x slower while another of the
 * same shape ran beside it: bench/README.md, "One generated loop per pipeline"). Runs of one
 * pipeline (the same functions, or closures of the same function literal, as a pipeline built
 * afresh per request makes) keep sharing their loop, so a later run starts warm.
 *
 * The tag is a 32-bit FNV-1a hash of the functions' source texts: no state, nothing kept. Two
 * function sets that collide share a loop, as every set of one shape did before.
 */
export function loopTag(fns: readonly ((...args: never[]) => unknown)[]): string {
  let h = 0x811c9dc5;
  for (const fn of fns) {
    const text = sourceText.call(fn);
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193); // between functions: ("ab", "c") is not ("a", "bc")
  }
  return `/* weir loop ${(h >>> 0).toString(16)} */`;
}
