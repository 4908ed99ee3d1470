/**
 * A growable index of integer pairs (a, b) to dense row numbers 0, 1, 2, ... in insertion order, off the JS heap:
 * open addressing over typed arrays kept at most half full. Rows are never removed (whole buckets are dropped), so
 * callers keep their values in typed-array columns indexed by row and grow them with `capacity`.
 */
const MIN_TABLE = 64

export function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ b
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d)
  h ^= h >>> 12
  h = Math.imul(h, 0x297a2d39)
  return (h ^ (h >>> 15)) >>> 0
}

export class PairIndex {
  size = 0
  keyA: Int32Array
  keyB: Int32Array
  /** Row + 1, 0 = empty. */
  private table: Int32Array
  private mask: number

  constructor(initialRows = 32) {
    const table = Math.max(MIN_TABLE, 1 << Math.ceil(Math.log2(initialRows * 2)))
    this.table = new Int32Array(table)
    this.mask = table - 1
    this.keyA = new Int32Array(table >>> 1)
    this.keyB = new Int32Array(table >>> 1)
  }

  /** Rows the key columns can hold before the next growth; value columns of callers follow it. */
  get capacity(): number {
    return this.keyA.length
  }

  find(a: number, b: number): number {
    return this.table[this.slotOf(a, b)]! - 1
  }

  /** The row of (a, b), added when new; a new row is `size - 1` afterwards. */
  findOrAdd(a: number, b: number): number {
    const i = this.slotOf(a, b)
    const r = this.table[i]!
    if (r !== 0) return r - 1
    const row = this.size++
    this.keyA[row] = a
    this.keyB[row] = b
    this.table[i] = row + 1
    if (this.size >= this.keyA.length) this.grow()
    return row
  }

  /** The table slot holding (a, b), or the empty slot where it would go. */
  private slotOf(a: number, b: number): number {
    const { table, mask, keyA, keyB } = this
    let i = mix(a, b) & mask
    for (let r = table[i]!; r !== 0; r = table[i]!) {
      if (keyA[r - 1] === a && keyB[r - 1] === b) return i
      i = (i + 1) & mask
    }
    return i
  }

  private grow(): void {
    const size = this.table.length * 2
    const table = new Int32Array(size)
    const mask = size - 1
    const keyA = new Int32Array(size >>> 1)
    const keyB = new Int32Array(size >>> 1)
    keyA.set(this.keyA)
    keyB.set(this.keyB)
    for (let row = 0; row < this.size; row++) {
      let i = mix(keyA[row]!, keyB[row]!) & mask
      while (table[i] !== 0) i = (i + 1) & mask
      table[i] = row + 1
    }
    this.table = table
    this.mask = mask
    this.keyA = keyA
    this.keyB = keyB
  }

  /** Bytes held (for the memory figures). */
  get bytes(): number {
    return this.table.byteLength + this.keyA.byteLength + this.keyB.byteLength
  }
}

/** Grows a column to at least `rows` x `width` entries, keeping its values. */
export function ensureFloat(col: Float64Array<ArrayBuffer>, rows: number, width = 1): Float64Array<ArrayBuffer> {
  if (col.length >= rows * width) return col
  const next = new Float64Array(Math.max(rows * width, col.length * 2))
  next.set(col)
  return next
}

export function ensureInt(col: Int32Array<ArrayBuffer>, rows: number, width = 1): Int32Array<ArrayBuffer> {
  if (col.length >= rows * width) return col
  const next = new Int32Array(Math.max(rows * width, col.length * 2))
  next.set(col)
  return next
}
