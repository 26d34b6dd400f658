/**
 * @module core/otlp/proto-writer
 * A growing protobuf buffer for the OTLP log and metric encoders: tags, varints, fixed-width numbers, strings (from a
 * JS string or a range of one, ASCII copied by hand, the rest through Buffer.write) and hex ids
 * decoded straight into bytes. Nested messages are written in place and their length is inserted
 * afterwards (a memmove of the message), so no size-estimating pass is needed.
 */
import { Buffer } from 'node:buffer'

export const VARINT = 0
export const FIXED64 = 1
export const LENGTH_DELIMITED = 2
export const FIXED32 = 5

const TWO_32 = 2 ** 32
/** The longest varint of a string's length (strings under 2^35 bytes). */
const MAX_LENGTH_BYTES = 5

/** Nibble of a lowercase or uppercase hex character code, 255 for anything else. */
const NIBBLE = new Uint8Array(128).fill(255)
for (let code = 48; code <= 57; code++) NIBBLE[code] = code - 48
for (let code = 97; code <= 102; code++) NIBBLE[code] = code - 87
for (let code = 65; code <= 70; code++) NIBBLE[code] = code - 55

export class ProtoWriter {
  buf: Buffer
  pos = 0
  private view: DataView

  constructor(initialBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(initialBytes)
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength)
  }

  ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + bytes) size *= 2
    const grown = Buffer.allocUnsafe(size)
    this.buf.copy(grown, 0, 0, this.pos)
    this.buf = grown
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength)
  }

  /** A non-negative integer up to 2^53. */
  varint(value: number): void {
    this.ensure(10)
    const buf = this.buf
    let pos = this.pos
    while (value >= 0x80) {
      buf[pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    buf[pos++] = value
    this.pos = pos
  }

  /** An int64 field's value: negative numbers as their 64-bit two's complement (10 bytes). */
  int64(value: number): void {
    if (value >= 0) {
      this.varint(value)
      return
    }
    let big = BigInt.asUintN(64, BigInt(value))
    this.ensure(10)
    while (big >= 0x80n) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80
      big >>= 7n
    }
    this.buf[this.pos++] = Number(big)
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType)
  }

  fixed32(value: number): void {
    this.ensure(4)
    this.view.setUint32(this.pos, value >>> 0, true)
    this.pos += 4
  }

  /** A fixed64 given as its low and high 32 bits. */
  fixed64(low: number, high: number): void {
    this.ensure(8)
    this.view.setUint32(this.pos, low >>> 0, true)
    this.view.setUint32(this.pos + 4, high >>> 0, true)
    this.pos += 8
  }

  /** Unix milliseconds as the fixed64 nanoseconds OTLP wants, exactly (the product passes 2^53). */
  millisAsNanos(millis: number): void {
    const ms = Math.max(0, Math.round(millis))
    // ms = high * 2^21 + low; each part times 10^6 stays below 2^41, so every step is exact.
    const lowPart = (ms % 2 ** 21) * 1e6
    const highPart = Math.floor(ms / 2 ** 21) * 1e6
    // highPart * 2^21 = floor(highPart / 2^11) * 2^32 + (highPart mod 2^11) * 2^21
    const low = (highPart % 2 ** 11) * 2 ** 21 + lowPart
    this.fixed64(low % TWO_32, Math.floor(highPart / 2 ** 11) + Math.floor(low / TWO_32))
  }

  double(value: number): void {
    this.ensure(8)
    this.view.setFloat64(this.pos, value, true)
    this.pos += 8
  }

  /** A length-delimited string field from a JS string. */
  string(field: number, text: string): void {
    this.stringRange(field, text, 0, text.length)
  }

  /** A length-delimited string field from `text.slice(start, end)`, without making the slice when it is ASCII. */
  stringRange(field: number, text: string, start: number, end: number): void {
    this.tag(field, LENGTH_DELIMITED)
    const units = end - start
    this.ensure(MAX_LENGTH_BYTES + 1 + units * 3)
    // The length of an ASCII string is its unit count: write it, then the characters.
    const at = this.pos
    this.varint(units)
    const buf = this.buf
    let pos = this.pos
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i)
      if (code >= 0x80) {
        this.pos = at
        this.utf8(text.slice(start, end))
        return
      }
      buf[pos++] = code
    }
    this.pos = pos
  }

  /** A length-delimited bytes field of `hexLength / 2` bytes from hex text; false (nothing written) if not hex. */
  hexBytes(field: number, text: string, start: number, hexLength: number): boolean {
    const at = this.pos
    this.tag(field, LENGTH_DELIMITED)
    this.varint(hexLength / 2)
    this.ensure(hexLength / 2)
    const buf = this.buf
    let pos = this.pos
    for (let i = start; i < start + hexLength; i += 2) {
      const high = NIBBLE[text.charCodeAt(i)] ?? 255
      const low = NIBBLE[text.charCodeAt(i + 1)] ?? 255
      if (high === 255 || low === 255) {
        this.pos = at
        return false
      }
      buf[pos++] = (high << 4) | low
    }
    this.pos = pos
    return true
  }

  /**
   * Where a nested message starts; `endMessage` then writes its length before it. One byte is kept
   * for the length, which is all a message under 128 bytes needs (most attributes): only longer
   * ones are moved to make room.
   */
  beginMessage(field: number): number {
    this.tag(field, LENGTH_DELIMITED)
    this.ensure(1)
    this.pos++
    return this.pos
  }

  endMessage(start: number): void {
    const length = this.pos - start
    if (length < 0x80) {
      this.buf[start - 1] = length
      return
    }
    const prefix = length < 0x4000 ? 2 : length < 0x200000 ? 3 : length < 0x10000000 ? 4 : 5
    this.ensure(prefix - 1)
    this.buf.copyWithin(start - 1 + prefix, start, this.pos)
    const end = this.pos + prefix - 1
    this.pos = start - 1
    this.varint(length)
    this.pos = end
  }

  /** Appends raw bytes (already-encoded fields). */
  bytes(source: Uint8Array): void {
    this.ensure(source.byteLength)
    this.buf.set(source, this.pos)
    this.pos += source.byteLength
  }

  /** Appends bytes another writer wrote. */
  append(source: Buffer, start: number, end: number): void {
    this.ensure(end - start)
    source.copy(this.buf, this.pos, start, end)
    this.pos += end - start
  }

  /** The bytes written, in a buffer of their own (which can be transferred); the writer starts over. */
  take(): Uint8Array {
    const bytes = new Uint8Array(this.pos)
    bytes.set(this.buf.subarray(0, this.pos))
    this.pos = 0
    return bytes
  }

  private utf8(text: string): void {
    const bytes = Buffer.byteLength(text, 'utf8')
    this.varint(bytes)
    this.ensure(bytes)
    this.pos += this.buf.write(text, this.pos, 'utf8')
  }
}
