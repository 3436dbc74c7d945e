/**
 * The variables a function's source uses without declaring them, for `worker(fn)` and `child(fn)`:
 * a function sent by its source runs without its closure, so each such name must be a global of
 * the worker. A scan of the source's tokens, not a parser: it follows what declares a name
 * (`var`/`let`/`const` patterns, parameters, `function` and `class` names, `catch`) and what only
 * looks like a reference (property names after `.`, object keys, labels, method and class member
 * names), treating every name declared anywhere in the function as declared everywhere in it.
 * Where it cannot tell, it takes the name as declared: it may miss a captured variable (one
 * shadowed elsewhere in the function, one used in a parameter's default value, a class field's
 * initializer on several lines), but it does not flag a name the function does declare.
 */

interface Token {
  readonly kind: "name" | "punct" | "literal" | "private";
  readonly text: string;
  /** A line break comes before it. */
  readonly newline: boolean;
}

/** Reserved words and the contextual ones a scan never takes for a variable. */
const KEYWORDS = new Set(
  (
    "await break case catch class const continue debugger default delete do else enum export extends false " +
    "finally for function if implements import in instanceof interface let new null package private " +
    "protected public return static super switch this throw true try typeof var void while with yield " +
    "async get set of as from accessor arguments"
  ).split(" "),
);

/** Names after which an expression (so a regular expression literal) starts. */
const BEFORE_EXPRESSION = new Set(
  "return typeof case do else in of new delete void throw yield await instanceof".split(" "),
);

/** Keywords whose parenthesized part is not a binding list. */
const CONTROL = new Set(["if", "for", "while", "switch", "with", "return", "typeof", "void", "await", "yield"]);

const PUNCTUATORS = [
  ">>>=",
  "...",
  "===",
  "!==",
  "**=",
  "<<=",
  ">>=",
  ">>>",
  "&&=",
  "||=",
  "??=",
  "=>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "??",
  "?.",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "&=",
  "|=",
  "^=",
  "**",
  "<<",
  ">>",
];

const NAME_START = /[A-Za-z_$\u0080-\uffff]/;
const NAME_PART = /[\w$\u0080-\uffff]/;

/** Splits a function's source into tokens; a template literal's `${…}` parts are tokenized as `( … )`. */
function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  /** Brace depth at which each open `${` of a template started. */
  const templates: number[] = [];
  let depth = 0;
  let i = 0;
  let newline = false;
  const push = (kind: Token["kind"], text: string): void => {
    tokens.push({ kind, text, newline });
    newline = false;
  };
  /** Reads a template's text from `i` up to its end or its next `${`. */
  const template = (): void => {
    while (i < src.length) {
      const c = src[i]!;
      if (c === "\\") i += 2;
      else if (c === "`") {
        i++;
        push("literal", "`");
        return;
      } else if (c === "$" && src[i + 1] === "{") {
        i += 2;
        push("literal", "`");
        templates.push(depth);
        push("punct", "(");
        return;
      } else i++;
    }
  };
  /** Where each open `(` is, to tell `if (x) /re/` (a regular expression) from `f(x) / 2`. */
  const parens: number[] = [];
  const afterControl = new Set<number>();
  const regexAllowed = (): boolean => {
    const prev = tokens[tokens.length - 1];
    if (prev === undefined) return true;
    if (prev.kind === "name") return BEFORE_EXPRESSION.has(prev.text);
    if (prev.kind === "punct" && prev.text === ")") return afterControl.has(tokens.length - 1);
    if (prev.kind === "punct") return prev.text !== "]" && prev.text !== "}";
    return false;
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n" || c === "\r" || c === "\u2028" || c === "\u2029") {
      newline = true;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "/" && src[i + 1] === "/") {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const body = src.slice(i, end < 0 ? src.length : end);
      if (/[\n\r\u2028\u2029]/.test(body)) newline = true;
      i = end < 0 ? src.length : end + 2;
    } else if (c === "'" || c === '"') {
      i++;
      while (i < src.length && src[i] !== c) i += src[i] === "\\" ? 2 : 1;
      i++;
      push("literal", c);
    } else if (c === "`") {
      i++;
      template();
    } else if (c === "}" && templates.length > 0 && templates[templates.length - 1] === depth) {
      templates.pop();
      i++;
      push("punct", ")");
      template();
    } else if (c === "#" && NAME_START.test(src[i + 1] ?? "")) {
      const start = i++;
      while (i < src.length && NAME_PART.test(src[i]!)) i++;
      push("private", src.slice(start, i));
    } else if (NAME_START.test(c) || c === "\\") {
      const start = i;
      while (i < src.length && (NAME_PART.test(src[i]!) || src[i] === "\\")) i++;
      push("name", src.slice(start, i));
    } else if (/\d/.test(c) || (c === "." && /\d/.test(src[i + 1] ?? ""))) {
      while (i < src.length && /[\w.]/.test(src[i]!)) {
        // an exponent's sign belongs to the number
        if ((src[i] === "e" || src[i] === "E") && (src[i + 1] === "+" || src[i + 1] === "-")) i++;
        i++;
      }
      push("literal", "0");
    } else if (c === "/" && regexAllowed()) {
      i++;
      let inClass = false;
      while (i < src.length && (inClass || src[i] !== "/")) {
        if (src[i] === "\\") i++;
        else if (src[i] === "[") inClass = true;
        else if (src[i] === "]") inClass = false;
        i++;
      }
      i++;
      while (i < src.length && NAME_PART.test(src[i]!)) i++;
      push("literal", "/");
    } else {
      const p = PUNCTUATORS.find((x) => src.startsWith(x, i)) ?? c;
      // `?.5` is a conditional and a number, not optional chaining
      const text = p === "?." && /\d/.test(src[i + 2] ?? "") ? "?" : p;
      if (text === "{") depth++;
      else if (text === "}") depth--;
      else if (text === "(") parens.push(tokens.length);
      else if (text === ")") {
        const open = parens.pop();
        const keyword = open === undefined ? undefined : tokens[open - 1];
        if (keyword?.kind === "name" && /^(if|while|for|with)$/.test(keyword.text)) afterControl.add(tokens.length);
      }
      i += text.length;
      push("punct", text);
    }
  }
  return tokens;
}

const OPEN = new Set(["(", "[", "{"]);
const CLOSE = new Set([")", "]", "}"]);

/**
 * The names `source` (a function's source, as `Function.prototype.toString` gives it) uses
 * without declaring them and that `known` does not hold, sorted.
 */
export function freeVariables(source: string, known: ReadonlySet<string>): string[] {
  const tokens = tokenize(source);
  const n = tokens.length;
  const is = (i: number, text: string): boolean => tokens[i]?.text === text && tokens[i]?.kind !== "literal";
  // matching brackets, and the bracket each token is directly inside
  const match = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    parent[i] = stack[stack.length - 1] ?? -1;
    if (t.kind !== "punct") continue;
    if (OPEN.has(t.text)) stack.push(i);
    else if (CLOSE.has(t.text) && stack.length > 0) {
      const open = stack.pop()!;
      match[open] = i;
      match[i] = open;
      parent[i] = stack[stack.length - 1] ?? -1;
    }
  }

  const declared = new Set<string>();
  /** Token positions that are not references: declarations, keys, member and method names. */
  const skip = new Uint8Array(n);
  const declareRange = (from: number, to: number): void => {
    for (let j = from; j < to; j++) {
      const t = tokens[j]!;
      if (t.kind === "name" && !KEYWORDS.has(t.text)) {
        declared.add(t.text);
        skip[j] = 1;
      }
    }
  };

  /** The `{` that open class bodies. */
  const classBodies = new Set<number>();
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (t.kind !== "name") continue;
    if (t.text === "function" || t.text === "class") {
      let j = i + 1;
      if (is(j, "*")) j++;
      if (tokens[j]?.kind === "name" && !KEYWORDS.has(tokens[j]!.text)) {
        declared.add(tokens[j]!.text);
        skip[j] = 1;
        j++;
      }
      if (t.text === "class") {
        // the body is the first `{` after any `extends` expression
        while (j < n && !is(j, "{")) j = OPEN.has(tokens[j]!.text) && match[j]! > j ? match[j]! + 1 : j + 1;
        if (j < n) classBodies.add(j);
      }
    } else if (t.text === "var" || t.text === "let" || t.text === "const") {
      declareBindings(i);
    } else if (t.text === "typeof" && tokens[i + 1]?.kind === "name") {
      // `typeof x` of a name nowhere declared is how code asks whether a global exists
      declared.add(tokens[i + 1]!.text);
    }
  }

  /** Declares the names of the declarators after `var`/`let`/`const` at `at`. */
  function declareBindings(at: number): void {
    let depth = 0;
    let binding = true;
    for (let j = at + 1; j < n; j++) {
      const t = tokens[j]!;
      if (t.kind === "punct" && OPEN.has(t.text)) depth++;
      else if (t.kind === "punct" && CLOSE.has(t.text)) {
        if (--depth < 0) return;
      } else if (depth === 0) {
        if (t.kind === "punct" && t.text === ";") return;
        if (t.kind === "punct" && t.text === "=") binding = false;
        else if (t.kind === "punct" && t.text === ",") binding = true;
        else if (binding && t.kind === "name" && (t.text === "in" || t.text === "of")) return;
        else if (t.kind === "name" && (t.text === "var" || t.text === "let" || t.text === "const")) return;
      }
      if (binding && t.kind === "name" && !KEYWORDS.has(t.text)) {
        declared.add(t.text);
        skip[j] = 1;
      }
    }
  }

  // parameter lists: arrows, functions, methods, catch clauses
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (t.kind === "punct" && t.text === "=>") {
      const p = i - 1;
      if (tokens[p]?.kind === "name") declareRange(p, p + 1);
      else if (is(p, ")") && match[p]! >= 0) declareRange(match[p]!, p);
      continue;
    }
    if (!(t.kind === "punct" && t.text === "(") || match[i]! < 0) continue;
    const close = match[i]!;
    const before = tokens[i - 1];
    const before2 = tokens[i - 2];
    const isFunction =
      (before?.kind === "name" && (before.text === "function" || before.text === "catch")) ||
      (before?.text === "*" && before2?.text === "function") ||
      (before?.kind === "name" &&
        (before2?.text === "function" || (before2?.text === "*" && tokens[i - 3]?.text === "function")));
    // `name(…) {`: a method (a call is never followed by a block)
    const isMethod =
      is(close + 1, "{") &&
      before !== undefined &&
      ((before.kind === "name" && !CONTROL.has(before.text)) ||
        before.kind === "private" ||
        before.text === "]" ||
        before.kind === "literal");
    if (!isFunction && !isMethod) continue;
    declareRange(i + 1, close);
    if (isMethod && before?.kind === "name") skip[i - 1] = 1;
  }

  /** Per bracket (and -1 for the top level): `?` of conditionals waiting for their `:`. */
  const conditionals = new Map<number, number>();
  /** Per class body: whether a field initializer is being read. */
  const initializing = new Set<number>();
  const free = new Set<string>();
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    const inside = parent[i]!;
    if (t.kind === "punct") {
      if (t.text === "?") conditionals.set(inside, (conditionals.get(inside) ?? 0) + 1);
      else if (t.text === ":" && (conditionals.get(inside) ?? 0) > 0)
        conditionals.set(inside, conditionals.get(inside)! - 1);
      if (classBodies.has(inside)) {
        if (t.text === "=") initializing.add(inside);
        else if (t.text === ";") initializing.delete(inside);
      }
      continue;
    }
    if (classBodies.has(inside) && t.newline) initializing.delete(inside);
    if (t.kind !== "name" || skip[i] === 1 || KEYWORDS.has(t.text)) continue;
    const prev = tokens[i - 1];
    if (prev?.kind === "punct" && (prev.text === "." || prev.text === "?.")) continue;
    if (prev?.kind === "name" && (prev.text === "break" || prev.text === "continue")) continue;
    // a member name of a class body (not in a field's initializer)
    if (classBodies.has(inside) && !initializing.has(inside)) continue;
    // `name:` is an object key or a label, unless it ends a conditional's middle or follows `case`
    if (is(i + 1, ":") && (conditionals.get(inside) ?? 0) === 0 && prev?.text !== "case") continue;
    free.add(t.text);
  }
  return [...free].filter((name) => !declared.has(name) && !known.has(name)).sort();
}
