/**
 * Counters of one arrival bucket, driven by the ONE metric definition (shared/metrics.ts): additive metrics are
 * numbers indexed like ADDITIVE_METRICS, distinct ones are sets of interned values indexed like DISTINCT_METRICS.
 * Nothing here names a metric, so adding one in shared/metrics.ts is enough.
 *
 * Everything is integers in typed arrays: a cell is a row of a PairIndex over (event day, interned key), its
 * additive values a row of one Float64Array, its distinct values a linked list of member rows (no object per cell,
 * per member or per event, so the hot path allocates nothing and the heap stays small).
 */
import { ADDITIVE_METRICS, METRICS, contribution, distinctValue } from '../shared/metrics.ts'
import { EVENT_TYPES, type EventType, type ListenEvent } from '../shared/event.ts'
import { KeyChains } from '../shared/fast/key-chains.ts'
import { PairIndex, ensureFloat, ensureInt } from '../shared/fast/pair-index.ts'

export const DISTINCT_METRICS = METRICS.filter((m) => m.kind === 'distinct')
const N_ADDITIVE = ADDITIVE_METRICS.length
const N_DISTINCT = DISTINCT_METRICS.length

/**
 * What an event of one type adds. Every additive contribution in shared/metrics.ts is linear in msPlayed for a given
 * type (a count adds a constant, a sum adds the field), so it is read off `contribution` once per type with probe
 * events: value = base + slope * msPlayed. A distinct metric counts the event's userId or nothing, by type.
 */
export interface TypePlan {
  readonly base: Float64Array
  readonly slope: Float64Array
  /** 1 where DISTINCT_METRICS[j] takes this type's userId. */
  readonly distinct: Uint8Array
  readonly anyDistinct: boolean
}

function planFor(type: EventType): TypePlan {
  const probe0: ListenEvent = { eventId: 'probe', ts: 0, userId: 'probe-user', songId: 'probe', type, msPlayed: 0 }
  const probe1: ListenEvent = { ...probe0, msPlayed: 1 }
  const probe2: ListenEvent = { ...probe0, msPlayed: 1000 }
  const base = new Float64Array(N_ADDITIVE)
  const slope = new Float64Array(N_ADDITIVE)
  for (let i = 0; i < N_ADDITIVE; i++) {
    const m = ADDITIVE_METRICS[i]!
    base[i] = contribution(m, probe0)
    slope[i] = contribution(m, probe1) - base[i]!
    if (contribution(m, probe2) !== base[i]! + 1000 * slope[i]!)
      throw new RangeError(`metric ${m.name} is not linear in msPlayed`)
  }
  const distinct = new Uint8Array(N_DISTINCT)
  for (let j = 0; j < N_DISTINCT; j++) {
    const v = distinctValue(DISTINCT_METRICS[j]!, probe0)
    if (v !== undefined && v !== probe0.userId)
      throw new RangeError(`distinct metric ${DISTINCT_METRICS[j]!.name} must count userIds`)
    distinct[j] = v === undefined ? 0 : 1
  }
  return { base, slope, distinct, anyDistinct: distinct.includes(1) }
}

/** Plans by type index (EVENT_TYPES order). */
export const TYPE_PLANS: readonly TypePlan[] = EVENT_TYPES.map(planFor)
export const TYPE_INDEX = new Map<string, number>(EVENT_TYPES.map((t, i) => [t, i]))

/** False when an event of this type and msPlayed adds nothing to any metric. */
export function contributes(plan: TypePlan, ms: number): boolean {
  if (plan.anyDistinct) return true
  for (let i = 0; i < N_ADDITIVE; i++) if (plan.base[i]! + plan.slope[i]! * ms !== 0) return true
  return false
}

/** The index of an additive metric by name (resolved once by callers, not in the loop). */
export function additiveIndex(name: string): number {
  const i = ADDITIVE_METRICS.findIndex((m) => m.name === name)
  if (i < 0) throw new RangeError(`no additive metric ${name}`)
  return i
}

/** The (event day, key) cells of one kind (song or artist) in one arrival bucket. */
export class KindCounters {
  readonly cells = new PairIndex()
  /** The rows of each key: a query about one song or artist walks its cells, not every (day, key) it might have. */
  readonly byKey = new KeyChains()
  private values = new Float64Array(32 * N_ADDITIVE)
  /** Per (row, distinct metric): first member row + 1 (0 = none), and the number of members. */
  private heads = new Int32Array(32 * N_DISTINCT)
  private counts = new Int32Array(32 * N_DISTINCT)
  /** Members keyed by (row * N_DISTINCT + j, value id); `next` chains the members of one (row, j). */
  private members = new PairIndex()
  private next = new Int32Array(32)
  /**
   * The event days of the cells (Infinity/-Infinity while empty). An arrival bucket holds a few event days (its
   * hour's and the late ones'), so a daily query walks these, not every day of its range (docs/ARCHITECTURE.md#realtime-view).
   */
  minDay = Infinity
  maxDay = -Infinity

  /** Adds one event (its type's plan, msPlayed, and the interned userId or -1) to the cell (day, key); its row. */
  apply(day: number, key: number, plan: TypePlan, ms: number, user: number): number {
    const cells = this.cells
    const before = cells.size
    const row = cells.findOrAdd(day, key)
    if (cells.size !== before) {
      this.grow(cells.capacity)
      this.byKey.add(key, row)
      if (day < this.minDay) this.minDay = day
      if (day > this.maxDay) this.maxDay = day
    }
    const values = this.values
    const at = row * N_ADDITIVE
    for (let i = 0; i < N_ADDITIVE; i++) values[at + i]! += plan.base[i]! + plan.slope[i]! * ms
    if (!plan.anyDistinct) return row
    for (let j = 0; j < N_DISTINCT; j++) {
      if (plan.distinct[j] === 0) continue
      const slot = row * N_DISTINCT + j
      const members = this.members
      const had = members.size
      const m = members.findOrAdd(slot, user)
      if (members.size === had) continue
      this.next = ensureInt(this.next, members.capacity)
      this.next[m] = this.heads[slot]!
      this.heads[slot] = m + 1
      this.counts[slot]!++
    }
    return row
  }

  /** The row of (day, key), or -1. */
  row(day: number, key: number): number {
    return this.cells.find(day, key)
  }

  get size(): number {
    return this.cells.size
  }

  /** The day of each row, for scans by day. */
  dayOf(row: number): number {
    return this.cells.keyA[row]!
  }

  value(row: number, i: number): number {
    return this.values[row * N_ADDITIVE + i]!
  }

  /** Adds the additive values of `row` (ADDITIVE_METRICS order) to `out` from `at`. */
  addValues(row: number, out: Float64Array, at: number): void {
    const values = this.values
    const from = row * N_ADDITIVE
    for (let i = 0; i < N_ADDITIVE; i++) out[at + i]! += values[from + i]!
  }

  distinctCount(row: number, j: number): number {
    return this.counts[row * N_DISTINCT + j]!
  }

  /** Calls `fn` with each member value of (row, j). */
  forEachMember(row: number, j: number, fn: (value: number) => void): void {
    for (let m = this.heads[row * N_DISTINCT + j]!; m !== 0; m = this.next[m - 1]!) fn(this.members.keyB[m - 1]!)
  }

  get memberCount(): number {
    return this.members.size
  }

  /** Renumbers member values (listener ids) by `newIdOf`, an injective map; rows and chains stay as they are. */
  remapMembers(newIdOf: (old: number) => number): void {
    const old = this.members
    const fresh = new PairIndex(old.size)
    for (let row = 0; row < old.size; row++) fresh.findOrAdd(old.keyA[row]!, newIdOf(old.keyB[row]!))
    this.members = fresh
  }

  get bytes(): number {
    return (
      this.cells.bytes +
      this.byKey.bytes +
      this.values.byteLength +
      this.heads.byteLength +
      this.counts.byteLength +
      this.members.bytes +
      this.next.byteLength
    )
  }

  private grow(rows: number): void {
    this.values = ensureFloat(this.values, rows, N_ADDITIVE)
    this.heads = ensureInt(this.heads, rows, N_DISTINCT)
    this.counts = ensureInt(this.counts, rows, N_DISTINCT)
  }
}

/**
 * The union of member lists, counted with a stamp per member value (values are interned listener ids, small
 * integers): a value is new to the current union when its stamp is not the union's. Several times cheaper than a
 * Set on a report's hot path, and allocation-free; endPartition runs to completion, so no two unions overlap.
 */
let stamps = new Uint32Array(1024)
let stamp = 0
let unionSize = 0
function addToUnion(v: number): void {
  if (v >= stamps.length) {
    const grown = new Uint32Array(Math.max(v + 1, stamps.length * 2))
    grown.set(stamps)
    stamps = grown
  }
  if (stamps[v] === stamp) return
  stamps[v] = stamp
  unionSize++
}
function startUnion(): void {
  if (++stamp === 0xffffffff) {
    stamps.fill(0)
    stamp = 1
  }
  unionSize = 0
}

/**
 * The number of distinct members of DISTINCT_METRICS[j] over the cells (counters[c], rows[c]) for c in
 * order[start..end) of one partition: a single cell's count, or the size of the union of their member lists.
 */
export function distinctOver(
  j: number,
  counters: readonly KindCounters[],
  rows: readonly number[],
  order: readonly number[],
  start: number,
  end: number,
): number {
  if (end - start === 1) return counters[order[start]!]!.distinctCount(rows[order[start]!]!, j)
  startUnion()
  for (let k = start; k < end; k++) counters[order[k]!]!.forEachMember(rows[order[k]!]!, j, addToUnion)
  return unionSize
}
