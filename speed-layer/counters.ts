/**
 * Counters of one arrival bucket, driven by the ONE metric definition (shared/metrics.ts): additive metrics are
 * numbers indexed like ADDITIVE_METRICS, distinct ones are value sets indexed like DISTINCT_METRICS. Nothing here
 * names a metric, so adding one in shared/metrics.ts is enough.
 */
import { ADDITIVE_METRICS, METRICS, contribution, distinctValue, type MetricValues } from '../shared/metrics.ts'
import { EVENT_TYPES, type EventType, type ListenEvent } from '../shared/event.ts'

export const DISTINCT_METRICS = METRICS.filter((m) => m.kind === 'distinct')
const N_ADDITIVE = ADDITIVE_METRICS.length
const N_DISTINCT = DISTINCT_METRICS.length

/**
 * Every additive contribution in shared/metrics.ts is linear in msPlayed for a given event type (a count adds a
 * constant, a sum adds the field), so it is read off `contribution` once per type with two probe events:
 * value = base + slope * msPlayed. The hot loop then does arithmetic instead of six calls per event.
 */
interface TypePlan { base: Float64Array; slope: Float64Array }

function planFor(type: EventType): TypePlan {
  const probe0: ListenEvent = { eventId: 'probe', ts: 0, userId: 'probe', songId: 'probe', type, msPlayed: 0 }
  const probe1: ListenEvent = { ...probe0, msPlayed: 1 }
  const probe2: ListenEvent = { ...probe0, msPlayed: 1000 }
  const base = new Float64Array(N_ADDITIVE)
  const slope = new Float64Array(N_ADDITIVE)
  for (let i = 0; i < N_ADDITIVE; i++) {
    const m = ADDITIVE_METRICS[i]!
    base[i] = contribution(m, probe0)
    slope[i] = contribution(m, probe1) - base[i]!
    if (contribution(m, probe2) !== base[i]! + 1000 * slope[i]!) throw new RangeError(`metric ${m.name} is not linear in msPlayed`)
  }
  return { base, slope }
}

const PLANS = new Map<string, TypePlan>(EVENT_TYPES.map((t) => [t, planFor(t)]))

/** What one event adds: computed once per event into this reused scratch, then applied to its song and artist. */
export class Contribution {
  readonly add = new Float64Array(N_ADDITIVE)
  readonly distinct: Array<string | undefined> = new Array<string | undefined>(N_DISTINCT).fill(undefined)

  /** False when the event adds nothing to any metric. */
  load(e: ListenEvent): boolean {
    const plan = PLANS.get(e.type)!
    const ms = e.msPlayed ?? 0
    let any = false
    const add = this.add
    for (let i = 0; i < N_ADDITIVE; i++) {
      const v = plan.base[i]! + plan.slope[i]! * ms
      add[i] = v
      if (v !== 0) any = true
    }
    for (let j = 0; j < N_DISTINCT; j++) {
      const d = distinctValue(DISTINCT_METRICS[j]!, e)
      this.distinct[j] = d
      if (d !== undefined) any = true
    }
    return any
  }

  /** The value of an additive metric, by name (resolved once by callers, not in the loop). */
  static additiveIndex(name: string): number {
    const i = ADDITIVE_METRICS.findIndex((m) => m.name === name)
    if (i < 0) throw new RangeError(`no additive metric ${name}`)
    return i
  }
}

/**
 * A distinct set that stays a plain string while it holds one value: most cells of an hour bucket see one
 * listener, and a Set costs about 200 bytes more than the string it would hold.
 */
export type Distinct = string | Set<string>

function distinctAdd(cur: Distinct | undefined, v: string): Distinct {
  if (cur === undefined || cur === v) return v
  // add() twice rather than new Set([cur, v]): the iterable constructor costs an array and an iterator per call.
  if (typeof cur === 'string') return new Set<string>().add(cur).add(v)
  cur.add(v)
  return cur
}

/** One (event day, key) in one bucket. */
export class Cell {
  readonly add: number[] = new Array<number>(N_ADDITIVE).fill(0)
  distinct: Array<Distinct | undefined> | undefined

  apply(c: Contribution): void {
    const add = this.add
    for (let i = 0; i < N_ADDITIVE; i++) add[i]! += c.add[i]!
    for (let j = 0; j < N_DISTINCT; j++) {
      const d = c.distinct[j]
      if (d === undefined) continue
      this.distinct ??= new Array<Distinct | undefined>(N_DISTINCT).fill(undefined)
      this.distinct[j] = distinctAdd(this.distinct[j], d)
    }
  }
}

/** Event day (days since the epoch, UTC) → key (songId or artistId) → cell. Day numbers avoid a string per event. */
export type DayCounters = Map<number, Map<string, Cell>>

export function cellOf(counters: DayCounters, day: number, key: string): Cell {
  let byKey = counters.get(day)
  if (byKey === undefined) {
    byKey = new Map()
    counters.set(day, byKey)
  }
  let cell = byKey.get(key)
  if (cell === undefined) {
    cell = new Cell()
    byKey.set(key, cell)
  }
  return cell
}

export function countKeys(counters: DayCounters): number {
  let n = 0
  for (const byKey of counters.values()) n += byKey.size
  return n
}

/**
 * Sums one key's cells of one partition over several buckets. Additive metrics add; distinct ones are unioned
 * within the partition (a listener can play in several hours) and their sizes added across partitions (the Kafka
 * key is the userId, so partitions never share a listener).
 */
export class DayAccumulator {
  readonly add = new Array<number>(N_ADDITIVE).fill(0)
  private readonly partitionSets: Distinct[][] = DISTINCT_METRICS.map(() => [])
  private readonly distinctTotals = new Array<number>(N_DISTINCT).fill(0)

  addCell(cell: Cell): void {
    for (let i = 0; i < N_ADDITIVE; i++) this.add[i]! += cell.add[i]!
    if (cell.distinct) {
      for (let j = 0; j < N_DISTINCT; j++) {
        const d = cell.distinct[j]
        if (d !== undefined) this.partitionSets[j]!.push(d)
      }
    }
  }

  /** Closes the current partition: its sets become one distinct count. */
  endPartition(): void {
    for (let j = 0; j < N_DISTINCT; j++) {
      const sets = this.partitionSets[j]!
      if (sets.length === 1) {
        const only = sets[0]!
        this.distinctTotals[j]! += typeof only === 'string' ? 1 : only.size
      } else if (sets.length > 1) {
        const union = new Set<string>()
        for (const d of sets) {
          if (typeof d === 'string') union.add(d)
          else for (const v of d) union.add(v)
        }
        this.distinctTotals[j]! += union.size
      }
      sets.length = 0
    }
  }

  values(): MetricValues {
    const v = {} as MetricValues
    for (let i = 0; i < N_ADDITIVE; i++) v[ADDITIVE_METRICS[i]!.name] = this.add[i]!
    for (let j = 0; j < N_DISTINCT; j++) v[DISTINCT_METRICS[j]!.name] = this.distinctTotals[j]!
    return v
  }
}
