/**
 * The breakdown slots of one event, from the ONE dimension definition (shared/dimensions.ts): for each dimension,
 * the event's value if it has one (country and device as the scan's indexes, the UTC hour of ts), else the
 * listener profile's, else `unknown`, as a slot of the common slot space. The profile is found by the interned
 * listener index: the engine interns every profile's userId first, so interned id < profiles means "row id of the
 * profile table" — no lookup by string and no allocation per event (README.md, "Breakdown cells"). A cross of two
 * dimensions (age_gender) is arithmetic on its parts' value indexes, filled before it: no more state per record.
 */
import type { ListenerProfile } from '../shared/catalog/listeners.ts'
import {
  AGE_BANDS,
  DIMENSIONS,
  SLOT_BASE,
  UNKNOWN,
  crossParts,
  crossValue,
  type DimensionDef,
} from '../shared/dimensions.ts'
import { DAY_MS, yearOfDay } from '../shared/day.ts'
import { DEVICES } from '../shared/event.ts'

const N_DIMS = DIMENSIONS.length
const EV_NONE = 0
const EV_COUNTRY = 1
const EV_DEVICE = 2
const EV_HOUR = 3
const PR_NONE = 0
const PR_AGE = 1
const PR_TABLE = 2

const dims: readonly DimensionDef[] = DIMENSIONS
const EVENT_SOURCE = Int8Array.from(dims, (d) =>
  d.event === 'country' ? EV_COUNTRY : d.event === 'device' ? EV_DEVICE : d.event === 'hour' ? EV_HOUR : EV_NONE,
)
const PROFILE_SOURCE = Int8Array.from(dims, (d) =>
  d.profile === undefined ? PR_NONE : d.profile === 'age' ? PR_AGE : PR_TABLE,
)
const UNKNOWN_INDEX = Int32Array.from(dims, (d) => d.values.length)
/** For a cross: the indexes of its two parts (-1 for a plain dimension). */
const CROSS_A = Int32Array.from(dims, (d) => (d.cross === undefined ? -1 : dims.indexOf(crossParts(d)![0])))
const CROSS_B = Int32Array.from(dims, (d) => (d.cross === undefined ? -1 : dims.indexOf(crossParts(d)![1])))

// A cross's value index is a * (b's values + 1) + b over its parts' indexes (unknown = their last): checked once,
// with its parts before it so `fill` has their slots when it reaches the cross.
for (const [i, d] of dims.entries()) {
  const parts = crossParts(d)
  if (parts === undefined) continue
  const [a, b] = parts
  const ok =
    CROSS_A[i]! < i &&
    CROSS_B[i]! < i &&
    d.values.length === (a.values.length + 1) * (b.values.length + 1) - 1 &&
    d.values.every(
      (v, k) =>
        v ===
        crossValue(
          a.values[Math.floor(k / (b.values.length + 1))] ?? UNKNOWN,
          b.values[k % (b.values.length + 1)] ?? UNKNOWN,
        ),
    )
  if (!ok) throw new RangeError(`dimension ${d.name}: its values are not the cross of its parts, or it precedes them`)
}

// The scan's codes are the indexes of the values in the definition; checked once, so a reordered list fails loudly.
for (const d of dims) {
  const ok =
    d.event === 'country'
      ? d.values.length === 676 && d.values[27] === 'BB'
      : d.event === 'device'
        ? d.values.join() === DEVICES.join()
        : d.event === 'hour'
          ? d.values.length === 24 && d.values.every((v, h) => Number(v) === h)
          : true
  if (!ok) throw new RangeError(`dimension ${d.name}: its values are not in the order of the event scan's codes`)
}

/** Age in years → index of its band in the age dimension's values, -1 outside every band. */
const AGE_INDEX = new Int8Array(256).fill(-1)
for (const [i, [, min, max]] of AGE_BANDS.entries()) for (let a = min; a <= Math.min(max, 255); a++) AGE_INDEX[a] = i

/** The profiles' values as indexes into each dimension's values (-1 none), by profile row. */
export class ProfileTable {
  readonly size: number
  private readonly byDim: Int16Array[]
  private readonly birthYear: Int16Array

  constructor(profiles: readonly ListenerProfile[]) {
    this.size = profiles.length
    this.birthYear = Int16Array.from(profiles, (p) => p.birthYear ?? 0)
    this.byDim = dims.map((d) => {
      if (d.profile === undefined || d.profile === 'age') return new Int16Array(0)
      const field = d.profile
      return Int16Array.from(profiles, (p) => {
        const v = field === 'country' ? p.country : field === 'gender' ? p.gender : p.tier
        return v === null ? -1 : d.values.indexOf(v)
      })
    })
  }

  /** The value index of dimension `i` for profile row `row` in an event of calendar year `year`, or -1. */
  valueIndex(i: number, row: number, year: number): number {
    if (PROFILE_SOURCE[i] === PR_AGE) {
      const by = this.birthYear[row]!
      const age = year - by
      return by === 0 || age < 0 || age > 255 ? -1 : AGE_INDEX[age]!
    }
    return this.byDim[i]![row]!
  }
}

/** Fills the slots of one event into one reused array. */
export class SlotWriter {
  readonly slots = new Int32Array(N_DIMS)

  constructor(private readonly profiles: ProfileTable) {}

  /**
   * `country` the scan's code (a*26+b) or -1, `device` its index or -1, `ts` the event time, `day` its day, `user`
   * the interned listener (-1 if not interned).
   */
  fill(country: number, device: number, ts: number, day: number, user: number): Int32Array {
    const { slots, profiles } = this
    const hasProfile = user >= 0 && user < profiles.size
    const year = hasProfile ? yearOfDay(day) : 0
    for (let i = 0; i < N_DIMS; i++) {
      const a = CROSS_A[i]!
      if (a >= 0) {
        const b = CROSS_B[i]!
        const ka = slots[a]! - SLOT_BASE[a]!
        const kb = slots[b]! - SLOT_BASE[b]!
        slots[i] = SLOT_BASE[i]! + ka * (UNKNOWN_INDEX[b]! + 1) + kb
        continue
      }
      const src = EVENT_SOURCE[i]
      let k =
        src === EV_COUNTRY
          ? country
          : src === EV_DEVICE
            ? device
            : src === EV_HOUR
              ? Math.floor((ts - day * DAY_MS) / 3_600_000)
              : -1
      if (k < 0 && hasProfile && PROFILE_SOURCE[i] !== PR_NONE) k = profiles.valueIndex(i, user, year)
      slots[i] = SLOT_BASE[i]! + (k < 0 ? UNKNOWN_INDEX[i]! : k)
    }
    return slots
  }
}

/** The scan's codes of a decoded event (the slow path). */
export function countryCode(country: string | undefined): number {
  if (country === undefined || !/^[A-Z]{2}$/.test(country)) return -1
  return (country.charCodeAt(0) - 65) * 26 + (country.charCodeAt(1) - 65)
}

export function deviceCode(device: string | undefined): number {
  return device === undefined ? -1 : (DEVICES as readonly string[]).indexOf(device)
}
