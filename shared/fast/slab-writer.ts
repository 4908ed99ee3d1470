/**
 * `SlabWriter`: a response body built from pieces (cached Buffers and short strings) into slices of one large
 * Buffer, instead of a string of a few KB per response. A string body is flattened, measured (content-length) and
 * UTF-8 encoded again on every write; a Buffer is written as it is, and a slice costs no new ArrayBuffer (Node's own
 * Buffer pool takes only allocations under 4 KB).
 *
 * Invariant: a slice returned by `finish` is never written again. Writes only move forward in the slab, and a
 * message that does not fit continues in a new slab (what it had so far copied there); the old slab lives as long
 * as a slice of it does. A message is built from `begin` to `finish` without yielding, so messages never interleave.
 */
const SLAB_BYTES = 256 * 1024
/** Up to this many bytes `bytes` copies in a loop. */
const SHORT = 64

export class SlabWriter {
  private slab: Buffer
  /** The message being built is slab[start, end). */
  private start = 0
  private end = 0

  constructor(private readonly slabBytes = SLAB_BYTES) {
    this.slab = Buffer.allocUnsafeSlow(slabBytes)
  }

  /** Starts a message. */
  begin(): void {
    this.start = this.end
  }

  bytes(b: Uint8Array): void {
    this.room(b.length)
    const slab = this.slab
    const e = this.end
    // A few bytes (a key, a bracket) are copied faster by hand than through TypedArray#set.
    if (b.length > SHORT) slab.set(b, e)
    else for (let i = 0; i < b.length; i++) slab[e + i] = b[i]!
    this.end = e + b.length
  }

  /** A string as UTF-8. */
  text(s: string): void {
    if (s.length === 0) return
    // At most 3 bytes per UTF-16 unit (a surrogate pair: 4 bytes for 2 units).
    this.room(s.length * 3)
    this.end += this.slab.write(s, this.end)
  }

  /** The message's bytes, a slice no later message touches. */
  finish(): Buffer {
    const out = this.slab.subarray(this.start, this.end)
    this.start = this.end
    return out
  }

  private room(n: number): void {
    if (this.end + n <= this.slab.length) return
    const used = this.end - this.start
    const next = Buffer.allocUnsafeSlow(Math.max(this.slabBytes, 2 * (used + n)))
    this.slab.copy(next, 0, this.start, this.end)
    this.slab = next
    this.start = 0
    this.end = used
  }
}
