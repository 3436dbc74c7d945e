/**
 * How a step's fused stages run: `"generated"`, one loop generated for them with `new Function`
 * (V8 can inline the stage functions into it), or `"interpreted"`, a plain loop over the stages,
 * used where code generation from strings is forbidden (`node --disallow-code-generation-from-strings`,
 * a hardened host, a Content-Security-Policy without `unsafe-eval`).
 */
export type FusedLoop = "generated" | "interpreted";

let probed: FusedLoop | undefined;

/**
 * The fused loop this process runs: `"generated"` when `new Function` works here, `"interpreted"`
 * when it throws (an `EvalError` under `--disallow-code-generation-from-strings`). Probed once.
 */
export function fusedLoop(): FusedLoop {
  if (probed === undefined) {
    try {
      // a constant body: all this checks is whether the host lets strings become code
      probed = typeof new Function("return 1") === "function" ? "generated" : "interpreted";
    } catch {
      probed = "interpreted";
    }
  }
  return probed;
}
