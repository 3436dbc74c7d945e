/** One recorded event. */
export interface RecordedEvent<Events extends object, K extends keyof Events = keyof Events> {
  /** Position in the bus's emission order, from 0. */
  readonly seq: number;
  readonly type: K;
  readonly payload: Events[K];
  /** The run, workflow run or runtime that sent it (see `SubscribeOptions.sender`), if known. */
  readonly sender: object | undefined;
}

/**
 * A bounded ring buffer of the last `capacity` events a bus delivered. Overflow policy:
 * drop-oldest. Reads copy (oldest first), so callers never see it change under them.
 */
export class EventHistory<Events extends object> {
  readonly capacity: number;
  /** The ring; `#start` is the oldest entry once it has wrapped. */
  readonly #ring: RecordedEvent<Events>[] = [];
  #start = 0;
  #seq = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  /** Records an event, evicting the oldest when full. */
  record<K extends keyof Events>(type: K, payload: Events[K], sender?: object): void {
    const entry: RecordedEvent<Events> = Object.freeze({ seq: this.#seq++, type, payload, sender });
    if (this.#ring.length < this.capacity) {
      this.#ring.push(entry);
      return;
    }
    this.#ring[this.#start] = entry;
    this.#start = (this.#start + 1) % this.capacity;
  }

  /** Recorded events, oldest first; only those of `type` when given. */
  list<K extends keyof Events>(type?: K): RecordedEvent<Events, K>[] {
    const out: RecordedEvent<Events, K>[] = [];
    const n = this.#ring.length;
    for (let i = 0; i < n; i++) {
      const e = this.#ring[(this.#start + i) % n]!;
      if (type === undefined || e.type === type) out.push(e as RecordedEvent<Events, K>);
    }
    return out;
  }

  /** Number of events held. */
  get size(): number {
    return this.#ring.length;
  }

  /** Forgets every recorded event (sequence numbers keep counting). */
  clear(): void {
    this.#ring.length = 0;
    this.#start = 0;
  }
}
