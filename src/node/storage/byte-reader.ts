// Little-endian binary decoding of one record's payload. Every read is bounds-checked: a payload
// whose checksum matches but whose contents do not parse is reported, never half-read.

const TWO_32 = 2 ** 32;
const MAX_SAFE_HIGH = 2 ** 21;
const utf8 = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  private readonly view: DataView;
  private position = 0;

  constructor(private readonly payload: Uint8Array) {
    this.view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  }

  u8(): number {
    this.need(1);
    return this.payload[this.position++];
  }

  u32(): number {
    this.need(4);
    const value = this.view.getUint32(this.position, true);
    this.position += 4;
    return value;
  }

  u64(): number {
    this.need(8);
    const low = this.view.getUint32(this.position, true);
    const high = this.view.getUint32(this.position + 4, true);
    if (high >= MAX_SAFE_HIGH) throw new Error(`integer at payload byte ${this.position} exceeds 2^53`);
    this.position += 8;
    return high * TWO_32 + low;
  }

  /** A view into the payload, not a copy. */
  bytes(length: number): Uint8Array {
    this.need(length);
    const view = this.payload.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }

  string(): string {
    this.need(2);
    const length = this.view.getUint16(this.position, true);
    this.position += 2;
    return utf8.decode(this.bytes(length));
  }

  /** Fails when bytes are left over: a payload must be consumed exactly. */
  finish(): void {
    const left = this.payload.length - this.position;
    if (left !== 0) throw new Error(`${left} unexpected bytes at the end of the payload`);
  }

  private need(length: number): void {
    if (this.position + length > this.payload.length) throw new Error(`payload ends before byte ${this.position + length}`);
  }
}
