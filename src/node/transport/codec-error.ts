/** A peer frame that cannot be encoded or decoded. The only error the codec throws on bad input. */
export class CodecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CodecError';
  }
}
