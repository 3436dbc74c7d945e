import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";
import { NotSelfContainedError } from "../../../errors/NotSelfContainedError.js";
import { FUNCTION_MODULE_MARK } from "../wire/moduleLabel.js";
import { freeVariables } from "./freeVariables.js";

/** The export a module made from a function's source gives the function as. */
export const FUNCTION_EXPORT = "default";

/** Longest function source sent to a worker (it travels in the worker's start parameters). */
const SOURCE_MAX = 64 * 1024;

/**
 * The helper a bundler that keeps function names (esbuild, so tsx) writes calls to inside
 * functions; the module defines it, so a function compiled that way still runs.
 */
const KEEP_NAMES = `const __name = (target, value) => Object.defineProperty(target, "name", { value, configurable: true });`;

/**
 * Names a function sent by its source may use besides its own declarations: the globals of a
 * worker (those of this process, taken when weir loads, before the program can add its own),
 * and the helper above.
 */
const GLOBALS: ReadonlySet<string> = (() => {
  const names = new Set<string>(["__name"]);
  for (let o: object | null = globalThis; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    for (const name of Object.getOwnPropertyNames(o)) names.add(name);
  }
  return names;
})();

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** Names a module cannot bind (a method may be called so: `{ default() {} }`), besides its own. */
const UNBINDABLE = new Set(
  (
    "await break case catch class const continue debugger default delete do else enum export extends false " +
    "finally for function if implements import in instanceof interface let new null package private protected " +
    "public return static super switch this throw true try typeof var void while with yield eval arguments " +
    "__name __fn"
  ).split(" "),
);

/**
 * Makes the module a worker imports for `worker(fn)` / `child(fn)` and returns its URL: the
 * function's source as its default export, in a `data:` URL (so the code comes from this program when the worker starts,
 * never from a message, and needs no file or permission to read one). Refuses, with a
 * {@link NotSelfContainedError}, a function whose source uses names it does not declare and
 * that are not globals of a worker (see freeVariables for what the scan sees), and with an
 * `InvalidOptionError` a class, a bound or built-in function, or a source over 64 KiB.
 */
export function functionModule(fn: unknown, where: string): string {
  if (typeof fn !== "function") throw new InvalidOptionError("fn", "a function", fn, where);
  const source = Function.prototype.toString.call(fn);
  const name = typeof fn.name === "string" ? fn.name : "";
  const label = `${where.replace(/\(.*\)$/, "")}(${name === "" ? "an anonymous function" : `function ${name}`})`;
  if (/\{\s*\[native code\]\s*\}\s*$/.test(source)) {
    throw new InvalidOptionError(
      "fn",
      "a function with its source (a bound or built-in function has none: write it as an arrow or function)",
      fn,
      where,
    );
  }
  if (/^class\b/.test(source)) throw new InvalidOptionError("fn", "a function, not a class", fn, where);
  if (source.length > SOURCE_MAX) {
    throw new InvalidOptionError(
      "fn",
      `a function whose source is at most ${SOURCE_MAX} characters (export a larger one from a module)`,
      `a function of ${source.length} characters`,
      where,
    );
  }
  const bindsName = IDENTIFIER.test(name) && !UNBINDABLE.has(name);
  const known = bindsName ? new Set([...GLOBALS, name]) : GLOBALS;
  const free = freeVariables(source, known);
  if (free.length > 0) throw new NotSelfContainedError(where, name, free);
  const expression = isExpression(source) ? `(${source})` : methodValue(source);
  const body = bindsName
    ? `const ${name} = ${expression};\nexport default ${name};`
    : `const __fn = ${expression};\nexport default __fn;`;
  const text = `${FUNCTION_MODULE_MARK}${label}\n${KEEP_NAMES}\n${body}\n`;
  return `data:text/javascript,${encodeURIComponent(text)}`;
}

/** True when the source is a function expression or an arrow (not a method's shorthand). */
function isExpression(source: string): boolean {
  return /^(?:async\b\s*)?(?:function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(source);
}

/** A method's shorthand (`name(x) { … }`, `async *name() { … }`), as the value of an object literal's only property. */
function methodValue(source: string): string {
  return `((o) => o[Reflect.ownKeys(o)[0]])({ ${source} })`;
}
