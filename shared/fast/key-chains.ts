/**
 * `KeyChains`: the rows of a PairIndex-numbered table grouped by one integer key, as a chain per key (newest row
 * first), off the JS heap. A query about one key walks that key's rows instead of probing the hash table once per
 * (day, key) it might hold: one probe for the key, then one step per row it has.
 *
 * Invariant: the chain of a key lists exactly the rows added with that key, each once, newest first; rows are added
 * once each in increasing order and never removed (whole tables are dropped), like PairIndex rows.
 */
import { PairIndex, ensureInt } from './pair-index.ts'

export class KeyChains {
  /** Key -> slot (dense); `head[slot]` = newest row + 1 (0 = none); `next[row]` = the previous row + 1 (0 = end). */
  private readonly keys = new PairIndex()
  private head = new Int32Array(32)
  private next = new Int32Array(32)

  /** Adds `row` to the chain of `key`. */
  add(key: number, row: number): void {
    const slot = this.keys.findOrAdd(key, 0)
    this.head = ensureInt(this.head, this.keys.capacity)
    this.next = ensureInt(this.next, row + 1)
    this.next[row] = this.head[slot]!
    this.head[slot] = row + 1
  }

  /** The newest row of `key`, or -1. */
  first(key: number): number {
    const slot = this.keys.find(key, 0)
    return slot < 0 ? -1 : this.head[slot]! - 1
  }

  /** The row added with the same key before `row`, or -1. */
  after(row: number): number {
    return this.next[row]! - 1
  }

  get bytes(): number {
    return this.keys.bytes + this.head.byteLength + this.next.byteLength
  }
}
