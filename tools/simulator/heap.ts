/**
 * A binary min-heap ordered by (time, seq): equal times come out in insertion order, so runs are deterministic.
 * Parallel arrays instead of an entry object per push: the simulator pushes once per event.
 */
export class TimeHeap<T> {
  private readonly times: number[] = []
  private readonly seqs: number[] = []
  private readonly values: T[] = []
  private seq = 0

  get size(): number {
    return this.values.length
  }

  peekTime(): number {
    return this.values.length > 0 ? this.times[0]! : Infinity
  }

  push(t: number, v: T): void {
    let i = this.values.length
    this.times.push(t)
    this.seqs.push(this.seq++)
    this.values.push(v)
    while (i > 0) {
      const p = (i - 1) >> 1
      if (!this.less(i, p)) break
      this.swap(i, p)
      i = p
    }
  }

  pop(): T | undefined {
    const n = this.values.length
    if (n === 0) return undefined
    const top = this.values[0]
    this.swap(0, n - 1)
    this.times.pop()
    this.seqs.pop()
    this.values.pop()
    const size = n - 1
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < size && this.less(l, m)) m = l
      if (r < size && this.less(r, m)) m = r
      if (m === i) break
      this.swap(i, m)
      i = m
    }
    return top
  }

  private less(a: number, b: number): boolean {
    const ta = this.times[a]!
    const tb = this.times[b]!
    return ta < tb || (ta === tb && this.seqs[a]! < this.seqs[b]!)
  }

  private swap(a: number, b: number): void {
    const t = this.times[a]!
    this.times[a] = this.times[b]!
    this.times[b] = t
    const s = this.seqs[a]!
    this.seqs[a] = this.seqs[b]!
    this.seqs[b] = s
    const v = this.values[a]!
    this.values[a] = this.values[b]!
    this.values[b] = v
  }
}
