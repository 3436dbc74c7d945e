import { nonEmptyString } from "../../options/validate.js";
import { PoolExecutor } from "../pool/PoolExecutor.js";
import { poolSettings, settingsKey, type PoolOptions } from "../pool/PoolOptions.js";
import type { ChainStep } from "../pool/WireMessage.js";
import { moduleUrl as normalize } from "./moduleUrl.js";
import { remoteStageBrand, type RemoteStage } from "./RemoteStage.js";

/** Builds a {@link RemoteStage} for `worker()` and `child()`; validates everything now. */
export function makeRemoteStage<I, O>(
  context: "worker" | "process",
  module: URL | string,
  exportName: string,
  options: PoolOptions | undefined,
): RemoteStage<I, O> {
  const fn = context === "worker" ? "worker()" : "child()";
  const url = normalize(module, fn);
  nonEmptyString(exportName, "exportName", fn);
  const settings = poolSettings(options, fn);
  const colocationKey = `${context}\n${url}\n${settingsKey(settings)}`;
  return Object.freeze({
    [remoteStageBrand]: true as const,
    context,
    moduleUrl: url,
    exportName,
    options: options ?? {},
    settings,
    factory: Object.freeze({
      context,
      colocationKey,
      exportName,
      settings,
      create: (stage: string, chain: readonly ChainStep[], timeoutMs?: number) =>
        new PoolExecutor(context, url, stage, chain, settings, undefined, timeoutMs),
    }),
  });
}
