import type { Duplex } from "node:stream";
import { deserialize, serialize } from "node:v8";
import { clonesFaster } from "./clonesFaster.js";
import { FrameReader, HEADER_BYTES } from "./FrameReader.js";
import { FrameTooLargeError } from "./FrameTooLargeError.js";
import { INTEGERS, itemsField, packNumbers, unpackNumbers } from "./packNumbers.js";
import { wireCodec, type WireCodec, type WireFormat } from "./WireCodec.js";

/**
 * The first byte of V8's format (its version tag). A msgpack body never starts with it (0xff is
 * the integer -1, and a message is an object), so a `"msgpack"` pipe carries a message of
 * strings in V8's format ({@link clonesFaster}) and its reader tells the two apart by it.
 */
const V8_TAG = 0xff;

/** A frame of length 0: the sender dropped its encoder state, so the receiver drops its decoder's. */
const RESET = Buffer.alloc(HEADER_BYTES);
/**
 * After a message this large the encoder is replaced (with a reset frame), so it does not keep
 * its grown buffer for the rest of the pipe's life.
 */
const LARGE_BYTES = 16 * 1024 * 1024;

/** What one end of a pipe learns from the other. */
export interface PipeEvents<In> {
  /** A message arrived (decoded, not checked: the caller checks its shape). */
  message(message: In): void;
  /**
   * The other end broke the framing: a frame over the limit (checked from its header, before
   * anything is allocated for it), or one that does not decode. Nothing more is read after it.
   */
  broken(reason: string, cause?: unknown): void;
}

/**
 * Length-prefixed frames over a byte stream (the pipe between a pool and a child process), at
 * most `maxBytes` each way, holding msgpack (measured faster than V8's format for object items,
 * about 2x; see docs/contexts.md; a message of strings goes in V8's format, about 2x faster for
 * them: {@link clonesFaster}; a batch or result of numbers other than small integers, vectors of
 * fractions above all, has them in typed arrays, which msgpack carries as bytes:
 * {@link packNumbers}) or V8's structured-clone format
 * (`"ipc"`: what Node's IPC channel sends, here on a pipe whose bytes weir checks). Frames are
 * reassembled in linear time and memory (see {@link FrameReader}). One encoder per direction:
 * msgpack record definitions travel in order with the frames. A message that fails to encode may
 * leave record definitions in the encoder that never reached the wire, so both ends start afresh
 * after it.
 */
export class PackedPipe<In, Out> {
  readonly #stream: Duplex;
  readonly #format: WireFormat;
  readonly #maxBytes: number;
  readonly #reader: FrameReader;
  #encoder: WireCodec;
  #decoder: WireCodec;

  constructor(stream: Duplex, format: WireFormat, maxBytes: number, events: PipeEvents<In>) {
    this.#stream = stream;
    this.#format = format;
    this.#maxBytes = maxBytes;
    this.#encoder = wireCodec(format);
    this.#decoder = wireCodec(format);
    this.#reader = new FrameReader(maxBytes);
    const reader = this.#reader;
    const onFrame = (body: Buffer): void => {
      if (body.length === 0) {
        this.#decoder = wireCodec(format);
        return;
      }
      let message: In;
      try {
        message = (
          format === "ipc"
            ? this.#decoder.decode(body)
            : body[0] === V8_TAG
              ? deserialize(body)
              : unpackNumbers(this.#decoder.decode(body))
        ) as In;
      } catch (error) {
        reader.stop();
        events.broken(`a frame of ${body.length} bytes that does not decode (${format})`, error);
        return;
      }
      events.message(message);
    };
    const onOversized = (declared: number): void =>
      events.broken(`a frame header declaring ${declared} bytes, over the pool's maxFrameBytes (${maxBytes})`);
    stream.on("data", (chunk: Buffer) => reader.push(chunk, onFrame, onOversized));
  }

  /** Reads nothing more from the stream (its other end broke the protocol). */
  stop(): void {
    this.#reader.stop();
  }

  /**
   * Throws when `value` cannot be encoded in `format`, or encodes to more than `maxBytes`
   * ({@link FrameTooLargeError}); touches no stream's encoder state.
   */
  static check(value: unknown, format: WireFormat, maxBytes: number): void {
    const bytes = wireCodec(format).encode(value).length;
    if (bytes > maxBytes) throw new FrameTooLargeError(bytes, maxBytes);
  }

  /**
   * Encodes and writes one message; returns the bytes of its frame's body (a pool learns from
   * them how many items a batch may hold: see `PoolExecutor`). Throws when the message cannot be
   * encoded, or encodes to more than `maxBytes` ({@link FrameTooLargeError}); nothing of it is
   * written then.
   */
  send(message: Out): number {
    let body: Uint8Array;
    try {
      body = this.#format === "msgpack" ? this.#encodeMsgpack(message) : this.#encoder.encode(message);
      if (body.length > this.#maxBytes) throw new FrameTooLargeError(body.length, this.#maxBytes);
    } catch (error) {
      this.#reset();
      throw error;
    }
    if (body.length >= LARGE_BYTES) {
      // no copy: the header, then the body itself, whose encoder is dropped at once (it never
      // writes into that buffer again)
      const head = Buffer.allocUnsafe(HEADER_BYTES);
      head.writeUInt32LE(body.length, 0);
      this.#stream.cork();
      this.#stream.write(head);
      this.#stream.write(body);
      this.#stream.uncork();
      this.#reset();
      return body.length;
    }
    const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
    frame.writeUInt32LE(body.length, 0);
    frame.set(body, HEADER_BYTES);
    this.#stream.write(frame);
    return body.length;
  }

  /**
   * A message on a `"msgpack"` pipe: a batch or a result of numbers that are not all 32-bit
   * integers with them in typed arrays ({@link packNumbers}), which msgpack carries as bytes; a
   * message of strings and other primitives in V8's format, which encodes them faster (and keeps
   * no state); anything else as msgpack. Items found to be 32-bit integers are not looked through
   * a second time for strings.
   */
  #encodeMsgpack(message: Out): Uint8Array {
    if (typeof message !== "object" || message === null) return this.#encoder.encode(message);
    const numbers = packNumbers(message, true);
    if (numbers !== undefined && numbers !== INTEGERS) return this.#encoder.encode(numbers.message);
    // integers: no string among the items, so only the message's other fields are looked at
    const skip = numbers === INTEGERS ? itemsField(message) : undefined;
    return clonesFaster(message, skip) ? serialize(message) : this.#encoder.encode(message);
  }

  /** A fresh encoder, and a reset frame so the other end drops its decoder state too. */
  #reset(): void {
    this.#encoder = wireCodec(this.#format);
    this.#stream.write(RESET);
  }
}
