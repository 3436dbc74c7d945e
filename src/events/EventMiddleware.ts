/**
 * Sees every event before handlers do. Call `next(payload)` to pass it on (the same payload, or a
 * transformed one of the same type); return without calling `next` to drop it. `next` passes
 * the event on at most once: a second call (a middleware that forwards both the original and a
 * transformed payload, say) is ignored. Middleware runs in the order it was added; a middleware
 * that throws drops the event and its error goes to the bus's `onHandlerError`.
 *
 * @example
 * ```ts
 * // drop retries, redact errors
 * bus.use((type, payload, next) => {
 *   if (type === "task:retry") return;
 *   next(payload);
 * });
 * ```
 */
export type EventMiddleware<Events extends object> = <K extends keyof Events>(
  type: K,
  payload: Events[K],
  next: (payload: Events[K]) => void,
) => void;
