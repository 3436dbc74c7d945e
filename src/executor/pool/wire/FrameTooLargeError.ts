/** A message that encodes to more bytes than the pipe's limit; nothing of it was written. */
export class FrameTooLargeError extends RangeError {
  readonly bytes: number;
  readonly limitBytes: number;

  constructor(bytes: number, limitBytes: number) {
    super(`a message of ${bytes} bytes is over the frame limit (${limitBytes})`);
    this.bytes = bytes;
    this.limitBytes = limitBytes;
  }
}
