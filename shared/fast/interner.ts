/**
 * Ids (songIds, artistIds, userIds) to dense integers, looked up straight from the message bytes so a hot path
 * (the speed engine's counting, the archiver's row encoding) never makes a string. Exact: a hash match is confirmed by comparing the bytes. The bytes live in one growing
 * arena; strings are made once per distinct id, and only when `keepStrings` (songs and artists are answered by
 * name, listeners are only counted).
 */
const MIN_TABLE = 1024
const encoder = new TextEncoder()

/** FNV-1a over bytes with a final avalanche (ids that differ only at the end must still spread). */
export function hashBytes(buf: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193)
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  return h >>> 0
}

export function bytesEqual(a: Uint8Array, as: number, b: Uint8Array, bs: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (a[as + k] !== b[bs + k]) return false
  return true
}

export class Interner {
  size = 0
  private arena = new Uint8Array(64 * 1024)
  private used = 0
  private starts = new Int32Array(1024)
  private lengths = new Int32Array(1024)
  private table = new Int32Array(MIN_TABLE)
  private hashes = new Uint32Array(MIN_TABLE)
  private mask = MIN_TABLE - 1
  private readonly strings: string[] = []
  private readonly byString = new Map<string, number>()

  constructor(private readonly keepStrings: boolean) {}

  /** The id of `buf[start, end)`, or -1. */
  find(buf: Uint8Array, start: number, end: number): number {
    const h = hashBytes(buf, start, end)
    const len = end - start
    const { table, hashes, mask, starts, lengths, arena } = this
    let i = h & mask
    for (let r = table[i]!; r !== 0; r = table[i]!) {
      if (hashes[i] === h && lengths[r - 1] === len && bytesEqual(arena, starts[r - 1]!, buf, start, len)) return r - 1
      i = (i + 1) & mask
    }
    return -1
  }

  /** The id of `buf[start, end)`, added when new. */
  intern(buf: Uint8Array, start: number, end: number): number {
    const found = this.find(buf, start, end)
    return found >= 0 ? found : this.add(buf, start, end)
  }

  /** The id of a string id (the slow path, tests and queries); `add` false only looks it up. */
  internString(s: string, add = true): number {
    const known = this.byString.get(s)
    if (known !== undefined) return known
    const bytes = encoder.encode(s)
    const found = this.find(bytes, 0, bytes.length)
    if (found >= 0 || !add) return found
    return this.add(bytes, 0, bytes.length, s)
  }

  /** Interns id `id` of another interner (compaction: the ids still in use move to a fresh, smaller one). */
  internFrom(other: Interner, id: number): number {
    const start = other.starts[id]!
    return this.intern(other.arena, start, start + other.lengths[id]!)
  }

  /** The string of an id (only with keepStrings). */
  stringOf(id: number): string {
    return this.strings[id]!
  }

  get bytes(): number {
    return this.arena.byteLength + this.starts.byteLength * 2 + this.table.byteLength * 2
  }

  private add(buf: Uint8Array, start: number, end: number, s?: string): number {
    const len = end - start
    if (this.used + len > this.arena.length) {
      const next = new Uint8Array(Math.max(this.arena.length * 2, this.used + len))
      next.set(this.arena.subarray(0, this.used))
      this.arena = next
    }
    const id = this.size++
    if (id >= this.starts.length) {
      const starts = new Int32Array(this.starts.length * 2)
      starts.set(this.starts)
      this.starts = starts
      const lengths = new Int32Array(this.lengths.length * 2)
      lengths.set(this.lengths)
      this.lengths = lengths
    }
    this.arena.set(buf.subarray(start, end), this.used)
    this.starts[id] = this.used
    this.lengths[id] = len
    this.used += len
    if (this.keepStrings) {
      const str = s ?? Buffer.from(buf.buffer, buf.byteOffset + start, len).toString('utf8')
      this.strings.push(str)
      this.byString.set(str, id)
    }
    this.place(hashBytes(buf, start, end), id)
    if (this.size * 2 > this.table.length) this.grow()
    return id
  }

  private place(h: number, id: number): void {
    let i = h & this.mask
    while (this.table[i] !== 0) i = (i + 1) & this.mask
    this.table[i] = id + 1
    this.hashes[i] = h
  }

  private grow(): void {
    const oldTable = this.table
    const oldHashes = this.hashes
    this.table = new Int32Array(oldTable.length * 2)
    this.hashes = new Uint32Array(oldTable.length * 2)
    this.mask = this.table.length - 1
    for (let k = 0; k < oldTable.length; k++) if (oldTable[k] !== 0) this.place(oldHashes[k]!, oldTable[k]! - 1)
  }
}
