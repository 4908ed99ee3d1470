/**
 * Bounded duplicate detection for one partition: the last `capacity` eventIds, in arrival order. A retry resends
 * the same eventId with the same userId, hence the same partition, so per-partition windows catch every duplicate
 * whose first copy is among the partition's last `capacity` events. Memory: about 100 bytes per remembered id
 * (the id string, its Set entry and its ring slot).
 */
export class Dedup {
  private readonly seen = new Set<string>()
  private readonly ring: string[] = []
  private next = 0

  constructor(readonly capacity: number) {}

  /** True when the id is new (and is now remembered); false for a duplicate. */
  add(id: string): boolean {
    // One hash lookup instead of has() + add(): a Set's size only grows when the id is new.
    const before = this.seen.size
    this.seen.add(id)
    if (this.seen.size === before) return false
    if (this.ring.length < this.capacity) {
      this.ring.push(id)
    } else {
      this.seen.delete(this.ring[this.next]!)
      this.ring[this.next] = id
      this.next = (this.next + 1) % this.capacity
    }
    return true
  }

  get size(): number {
    return this.seen.size
  }
}
