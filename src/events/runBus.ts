import { InvalidOptionError } from "../errors/InvalidOptionError.js";
import { EventBus } from "./EventBus.js";
import { isEventSink, type EventSink } from "./EventSink.js";

/**
 * The private bus of a run (`run.on(...)`), forwarding every event to the run's `events` option
 * when one was given, with `sender` (the run, workflow run or runtime) as the events' sender. The option
 * is checked here, under its own name: anything but an {@link EventSink} (in practice an `EventBus`)
 * throws an `InvalidOptionError` for `events`.
 *
 * @example
 * ```ts
 * this.events = runBus<RunEvents>(options.events, `pipeline "${name}"`, this);
 * ```
 */
export function runBus<Events extends object>(events: unknown, where: string, sender?: object): EventBus<Events> {
  if (events !== undefined && !isEventSink(events)) {
    throw new InvalidOptionError("events", "an EventBus (an object with has and emit)", events, where);
  }
  return new EventBus<Events>({ forward: events as EventSink<Events> | undefined, sender });
}
