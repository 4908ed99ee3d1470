/**
 * One batch view in memory: for each id (song or artist) a dense run of days from its first to its last day with
 * data, every metric in one Float64Array. A 30-day query is index arithmetic, and a year of 2000 songs is a few
 * tens of MB instead of millions of small objects. Immutable once built: a new manifest builds a new index.
 */
import { METRICS, type MetricValues } from '../../shared/metrics.ts'

const M = METRICS.length

export interface Series {
  first: number
  data: Float64Array
  has: Uint8Array
}

export class DailyIndex {
  private readonly bySuffix = new Map<string, Array<[id: string, series: Series]>>()
  private byPrefix: Map<string, string[]> | undefined

  constructor(
    private readonly series: ReadonlyMap<string, Series>,
    readonly rows: number,
  ) {}

  static readonly EMPTY = new DailyIndex(new Map(), 0)

  /** The values of (id, day) — day as days since 1970-01-01 — or undefined when the view has no row. */
  get(id: string, day: number): MetricValues | undefined {
    const s = this.series.get(id)
    if (!s) return undefined
    const i = day - s.first
    if (i < 0 || i >= s.has.length || s.has[i] === 0) return undefined
    const v = {} as MetricValues
    for (let m = 0; m < M; m++) v[METRICS[m]!.name] = s.data[i * M + m]!
    return v
  }

  /** Copies the values of (id, day) into `out` (METRICS order) without allocating; false when there is no row. */
  read(id: string, day: number, out: Float64Array): boolean {
    const s = this.series.get(id)
    if (!s) return false
    const i = day - s.first
    if (i < 0 || i >= s.has.length || s.has[i] === 0) return false
    for (let m = 0; m < M; m++) out[m] = s.data[i * M + m]!
    return true
  }

  /** `read` for one id: the id is looked up once, not for every day of a range. */
  reader(id: string): (day: number, out: Float64Array) => boolean {
    const s = this.series.get(id)
    if (!s) return () => false
    return (day, out) => {
      const i = day - s.first
      if (i < 0 || i >= s.has.length || s.has[i] === 0) return false
      for (let m = 0; m < M; m++) out[m] = s.data[i * M + m]!
      return true
    }
  }

  /** Calls `fn` with each id that has a row on `day` and its values (METRICS order, `out` reused). */
  forEachOn(day: number, out: Float64Array, fn: (id: string) => void): void {
    for (const [id, s] of this.series) {
      const i = day - s.first
      if (i < 0 || i >= s.has.length || s.has[i] === 0) continue
      for (let m = 0; m < M; m++) out[m] = s.data[i * M + m]!
      fn(id)
    }
  }

  /**
   * `forEachOn` over the ids that end with `suffix` (a breakdown's dimension and value: load-views.ts
   * `breakdownId`), each given without it. The ids of a suffix are found by one scan on its first use and kept: the
   * index is immutable, and a scan of every breakdown series per request costs ~100 ms for 2000 songs.
   */
  forEachOnEnding(suffix: string, day: number, out: Float64Array, fn: (id: string) => void): void {
    let group = this.bySuffix.get(suffix)
    if (group === undefined) {
      group = []
      for (const [id, s] of this.series)
        if (id.endsWith(suffix)) group.push([id.slice(0, id.length - suffix.length), s])
      this.bySuffix.set(suffix, group)
    }
    for (const [id, s] of group) {
      const i = day - s.first
      if (i < 0 || i >= s.has.length || s.has[i] === 0) continue
      for (let m = 0; m < M; m++) out[m] = s.data[i * M + m]!
      fn(id)
    }
  }

  /**
   * The ends of the ids that start with `prefix` and have no `separator` after it (a breakdown's values of one id and
   * dimension: load-views.ts `breakdownId`). One scan groups every id on first use and is kept, as for
   * `forEachOnEnding`: the index is immutable.
   */
  endsAfter(prefix: string, separator: string): readonly string[] {
    if (this.byPrefix === undefined) {
      this.byPrefix = new Map()
      for (const id of this.series.keys()) {
        const at = id.lastIndexOf(separator)
        const cut = at < 0 ? 0 : at + separator.length
        const group = this.byPrefix.get(id.slice(0, cut))
        if (group === undefined) this.byPrefix.set(id.slice(0, cut), [id.slice(cut)])
        else group.push(id.slice(cut))
      }
    }
    return this.byPrefix.get(prefix) ?? []
  }

  get ids(): number {
    return this.series.size
  }
}

/** Collects rows in any order (one per id and day; a repeated row replaces the earlier one), then packs them. */
export class DailyIndexBuilder {
  private readonly pending = new Map<string, { days: number[]; values: number[] }>()
  private count = 0

  /** `values` in METRICS order. */
  add(id: string, day: number, values: ArrayLike<number>): void {
    let p = this.pending.get(id)
    if (!p) {
      p = { days: [], values: [] }
      this.pending.set(id, p)
    }
    p.days.push(day)
    for (let m = 0; m < M; m++) p.values.push(values[m] ?? 0)
    this.count++
  }

  build(): DailyIndex {
    const series = new Map<string, Series>()
    for (const [id, p] of this.pending) {
      let first = Infinity
      let last = -Infinity
      for (const d of p.days) {
        if (d < first) first = d
        if (d > last) last = d
      }
      const span = last - first + 1
      const s: Series = { first, data: new Float64Array(span * M), has: new Uint8Array(span) }
      for (let r = 0; r < p.days.length; r++) {
        const i = p.days[r]! - first
        s.has[i] = 1
        for (let m = 0; m < M; m++) s.data[i * M + m] = p.values[r * M + m]!
      }
      series.set(id, s)
    }
    this.pending.clear()
    return new DailyIndex(series, this.count)
  }
}
