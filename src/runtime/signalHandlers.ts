import type { SignalTarget } from "./RuntimeOptions.js";

/**
 * Listens for `signals` on `target`; returns the function that removes the listeners (safe to
 * call twice). While they are installed Node's default reaction (exit at once) is off, so the
 * runtime keeps them until its stop is complete: a second Ctrl-C during the grace period reaches
 * `onSignal` (which abandons what is still stopping) instead of killing the process mid-stop.
 */
export function installSignalHandlers(
  target: SignalTarget,
  signals: readonly NodeJS.Signals[],
  onSignal: (signal: NodeJS.Signals) => void,
): () => void {
  for (const name of signals) target.on(name, onSignal);
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    for (const name of signals) target.off(name, onSignal);
  };
}
