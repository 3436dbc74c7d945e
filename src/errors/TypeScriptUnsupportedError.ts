import { WeirError } from "./WeirError.js";

/**
 * A `.ts` module (a job given to the CLI, a worker or child stage's module, a module a `weir worker`
 * serves) cannot be loaded: `tsx` is not installed where weir can find it, and the running Node
 * cannot strip types itself (Node 22.18 and later can). Install `tsx` next to weir
 * (`npm install --save-dev tsx`), run a newer Node, or compile the module to JavaScript.
 */
export class TypeScriptUnsupportedError extends WeirError {
  /** The class name: `error.name`, and what `TypeScriptUnsupportedError.is(e)` matches. */
  static override readonly name: string = "TypeScriptUnsupportedError";
  /** The module that needed TypeScript support. */
  readonly module: string;

  constructor(module: string) {
    super(
      "WEIR_TYPESCRIPT_UNSUPPORTED",
      `${module} is TypeScript, and nothing here can load it: tsx is not installed (npm install --save-dev tsx) and Node ${process.versions.node} does not strip types (Node 22.18 and later do)`,
    );
    this.module = module;
  }
}
