/**
 * Where a run (or a bus, through its `forward` option) sends events besides its own bus: in
 * practice an {@link EventBus} whose event map includes the sender's, so one
 * `EventBus<RunEvents & WorkflowEvents>` serves pipelines and workflows alike. Senders call only
 * these two methods, and add no listener to it.
 *
 * @example
 * ```ts
 * const bus = new EventBus<RunEvents & WorkflowEvents>({ history: 1_000 });
 * await p.run({ events: bus });   // an EventSink<RunEvents>
 * await wf.run({ events: bus });  // an EventSink<WorkflowEvents>
 * ```
 */
export interface EventSink<Events extends object> {
  /** True when emitting `type` would have an effect (so the sender builds the payload). */
  has(type: keyof Events): boolean;
  /**
   * Delivers one event, sent by `sender` (the run, workflow run or runtime it comes from, when
   * known; subscribers may filter on it). Must not throw (an {@link EventBus} never does).
   */
  emit<K extends keyof Events>(type: K, payload: Events[K], sender?: object): void;
}

/** True when `value` has the two methods of an {@link EventSink}. */
export function isEventSink(value: unknown): value is EventSink<object> {
  const v = value as Partial<EventSink<object>> | null;
  return typeof v === "object" && v !== null && typeof v.has === "function" && typeof v.emit === "function";
}
