/**
 * False only when `fn` certainly cannot read its second argument: it declares exactly one
 * parameter (no default, rest or destructuring with a comma in its parameter list) and does not
 * mention `arguments`. Native and bound functions are assumed to read it. A false "true" costs one
 * property store per item in a fused loop, one context object per attempt on the main loop; a
 * false "false" would hand a stale or shared context, so every doubt says true.
 *
 * @example
 * readsContext((x) => x + 1);        // false
 * readsContext((x, ctx) => ctx.key); // true
 */
export function readsContext(fn: (...args: never[]) => unknown): boolean {
  if (fn.length !== 1) return true;
  const src = Function.prototype.toString.call(fn);
  if (src.includes("[native code]") || /\barguments\b/.test(src)) return true;
  // the parameter list: up to the first "=>" or ")" (one bare parameter: `x => ...`)
  const arrow = src.indexOf("=>");
  const paren = src.indexOf(")");
  const end = paren < 0 ? arrow : arrow < 0 ? paren : Math.min(arrow, paren);
  return end < 0 || src.slice(0, end).includes(",");
}
