import { InvalidOptionError } from "../../../errors/InvalidOptionError.js";
import { nonEmptyString } from "../../../options/validate.js";
import { LazyPoolExecutor } from "../executor/LazyPoolExecutor.js";
import { poolSettings, settingsKey, type PoolOptions } from "./PoolOptions.js";
import type { ChainStep } from "../wire/WireMessage.js";
import { moduleUrl as normalize } from "./moduleUrl.js";
import { checkProcessWorkerData } from "./workerData.js";
import { FUNCTION_EXPORT, functionModule } from "./functionModule.js";
import { poolStageBrand, type PoolStage } from "./PoolStage.js";
import { typeScriptSupport } from "../../../load/typeScriptSupport.js";

/**
 * Builds a {@link PoolStage} for `worker()` and `child()`, from a module and export, or from a
 * self-contained function (its arguments shift: `(fn, options)`); validates everything now.
 */
export function makePoolStage<I, O>(
  context: "worker" | "process",
  moduleOrFn: unknown,
  exportOrOptions: unknown,
  moreOptions: unknown,
): PoolStage<I, O> {
  const where = context === "worker" ? "worker()" : "child()";
  let url: string;
  let exportName: string;
  let name: string;
  let options: unknown;
  let source: string | undefined;
  if (typeof moduleOrFn === "function") {
    url = functionModule(moduleOrFn, where);
    source = String(moduleOrFn);
    exportName = FUNCTION_EXPORT;
    name = moduleOrFn.name;
    options = exportOrOptions;
    if (moreOptions !== undefined)
      throw new InvalidOptionError("options", "no third argument after a function", moreOptions, where);
  } else {
    url = normalize(moduleOrFn, where);
    // a .ts module needs tsx or a Node that strips types: say so now, not in every worker
    if (/\.[cm]?ts$/.test(new URL(url).pathname)) typeScriptSupport(url);
    exportName = nonEmptyString(exportOrOptions, "exportName", where);
    name = exportName;
    options = moreOptions;
  }
  const settings = poolSettings(options, where);
  if (context === "process") checkProcessWorkerData(settings, where);
  const colocationKey = `${context}\n${url}\n${settingsKey(settings)}`;
  return Object.freeze({
    [poolStageBrand]: true as const,
    context,
    moduleUrl: url,
    exportName,
    name,
    options: (options ?? {}) as PoolOptions,
    settings,
    factory: Object.freeze({
      context,
      colocationKey,
      exportName,
      ...(source === undefined ? {} : { source }),
      settings,
      create: (stage: string, chain: readonly ChainStep[], timeoutMs?: number) =>
        new LazyPoolExecutor(context, url, stage, chain, settings, timeoutMs),
    }),
  });
}
