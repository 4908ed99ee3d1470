/**
 * Bounded, exact duplicate detection for one partition: the last `capacity` eventIds, in arrival order. A retry
 * resends the same eventId with the same userId, hence the same partition, so per-partition windows catch every
 * duplicate whose first copy is among the partition's last `capacity` events (DEDUP_WINDOW, default 500,000: at
 * 400k events/s over 6 partitions that is the last ~7 s of a partition's traffic at full replay speed, hours at
 * normal rates).
 *
 * Ids are compared as bytes, straight from the message, so the hot path makes no string. Memory, off the JS heap:
 * each ring slot keeps up to INLINE bytes of its id inline (a UUID is 36), its length and hash (48 bytes), and an
 * open-addressing table of ring indices kept at most half full (8-16 bytes per id): about 60 bytes per remembered
 * UUID; 6 partitions x 500,000 ids is about 180 MB at worst. A longer id (the contract allows 64 bytes) keeps its
 * bytes in a side map. Exact: a hash match is confirmed by comparing the bytes.
 */
import { bytesEqual, hashBytes } from './interner.ts'

const EMPTY = 0
const MIN_TABLE = 1024
const INLINE = 40
const MIN_RING = 4096
const encoder = new TextEncoder()

export class Dedup {
  private filled = 0
  private next = 0
  // Ring storage grows with the ids held, up to `capacity`, so an idle partition does not hold the full window.
  private inline: Uint8Array
  private lengths: Int32Array
  private ringHashes: Uint32Array
  private readonly long = new Map<number, Uint8Array>()
  /** Linear probing: a slot holds ring index + 1 (0 = empty) and the id's hash, to skip most byte compares. */
  private slots = new Int32Array(MIN_TABLE)
  private hashes = new Uint32Array(MIN_TABLE)
  private mask = MIN_TABLE - 1
  private count = 0

  constructor(readonly capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError(`dedup capacity must be a positive integer, got ${capacity}`)
    const slots = Math.min(capacity, MIN_RING)
    this.inline = new Uint8Array(slots * INLINE)
    this.lengths = new Int32Array(slots)
    this.ringHashes = new Uint32Array(slots)
  }

  /** True when the id is new (and is now remembered); false for a duplicate. */
  add(id: string): boolean {
    const bytes = encoder.encode(id)
    return this.addBytes(bytes, 0, bytes.length)
  }

  /** `add` for the id held in `buf[start, end)`. */
  addBytes(buf: Uint8Array, start: number, end: number): boolean {
    const h = hashBytes(buf, start, end)
    const len = end - start
    const { slots, hashes, mask } = this
    let i = h & mask
    for (let s = slots[i]!; s !== EMPTY; s = slots[i]!) {
      if (hashes[i] === h && this.sameAt(s - 1, buf, start, len)) return false
      i = (i + 1) & mask
    }
    let at: number
    if (this.filled < this.capacity) {
      at = this.filled++
      if (at === this.lengths.length) this.growRing()
    } else {
      at = this.next
      this.remove(at)
      this.next = (at + 1) % this.capacity
      // The removal may have shifted entries into the free slot found above: find it again.
      i = h & mask
      while (slots[i] !== EMPTY) i = (i + 1) & mask
    }
    this.store(at, buf, start, len, h)
    slots[i] = at + 1
    hashes[i] = h
    if (++this.count * 2 > this.slots.length) this.grow()
    return true
  }

  get size(): number {
    return this.count
  }

  /** Bytes held off the heap (for the memory figures). */
  get bytes(): number {
    return (
      this.inline.byteLength +
      this.lengths.byteLength +
      this.ringHashes.byteLength +
      this.slots.byteLength +
      this.hashes.byteLength
    )
  }

  private sameAt(at: number, buf: Uint8Array, start: number, len: number): boolean {
    if (this.lengths[at] !== len) return false
    if (len > INLINE) return bytesEqual(this.long.get(at)!, 0, buf, start, len)
    return bytesEqual(this.inline, at * INLINE, buf, start, len)
  }

  private store(at: number, buf: Uint8Array, start: number, len: number, h: number): void {
    this.lengths[at] = len
    this.ringHashes[at] = h
    if (len > INLINE) {
      this.long.set(at, buf.slice(start, start + len))
      return
    }
    // A loop, not set(subarray): no view object per event for a few dozen bytes.
    const inline = this.inline
    const to = at * INLINE
    for (let k = 0; k < len; k++) inline[to + k] = buf[start + k]!
  }

  /** Deletes ring entry `at` without tombstones (backward shift), so lookups never slow down as the ring turns over. */
  private remove(at: number): void {
    const { slots, hashes, mask } = this
    let i = this.ringHashes[at]! & mask
    while (slots[i] !== at + 1) i = (i + 1) & mask
    let j = i
    for (;;) {
      j = (j + 1) & mask
      if (slots[j] === EMPTY) break
      const home = hashes[j]! & mask
      // The entry at j may move back to i only if its home slot is not cyclically within (i, j].
      if (i <= j ? i < home && home <= j : i < home || home <= j) continue
      slots[i] = slots[j]!
      hashes[i] = hashes[j]!
      i = j
    }
    slots[i] = EMPTY
    this.long.delete(at)
    this.count--
  }

  private growRing(): void {
    const slots = Math.min(this.capacity, this.lengths.length * 2)
    const inline = new Uint8Array(slots * INLINE)
    inline.set(this.inline)
    this.inline = inline
    const lengths = new Int32Array(slots)
    lengths.set(this.lengths)
    this.lengths = lengths
    const ringHashes = new Uint32Array(slots)
    ringHashes.set(this.ringHashes)
    this.ringHashes = ringHashes
  }

  private grow(): void {
    const old = this.slots
    const oldHashes = this.hashes
    const size = old.length * 2
    this.slots = new Int32Array(size)
    this.hashes = new Uint32Array(size)
    this.mask = size - 1
    for (let k = 0; k < old.length; k++) {
      const s = old[k]!
      if (s === EMPTY) continue
      const h = oldHashes[k]!
      let i = h & this.mask
      while (this.slots[i] !== EMPTY) i = (i + 1) & this.mask
      this.slots[i] = s
      this.hashes[i] = h
    }
  }
}
