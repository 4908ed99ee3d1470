/**
 * The dimension definitions, ONCE, beside the metrics (shared/metrics.ts). A dimension splits a (day, song|artist)
 * cell by one value: where it comes from (the event, the listener's profile, or the event else the profile), the
 * closed list of values it takes, and `unknown` for anything missing. The one list drives the batch SQL
 * (`dimensionSql`), the speed layer's breakdown slots (`slotOf*`) and the API's validation and OpenAPI
 * (`DIMENSION_NAMES`). Adding a dimension is one entry here (and, for a new event or profile field, its reader
 * below); a cross of two dimensions (`crossOf`) is one entry too, since joint counts cannot be summed from the two
 * marginals. See docs/ARCHITECTURE.md#dimensions.
 */
import { DEVICES, type ListenEvent } from './event.ts'
import type { ListenerProfile } from './catalog/listeners.ts'
import { Errors } from './errors.ts'

export const UNKNOWN = 'unknown'

/** Age bands, by whole years of age in the calendar year of the event (birth year known): label, min, max. */
export const AGE_BANDS: ReadonlyArray<readonly [string, number, number]> = [
  ['13-17', 13, 17],
  ['18-24', 18, 24],
  ['25-34', 25, 34],
  ['35-44', 35, 44],
  ['45-54', 45, 54],
  ['55-64', 55, 64],
  ['65+', 65, 150],
]
export const GENDERS = ['female', 'male', 'non-binary', 'unspecified'] as const
export type Gender = (typeof GENDERS)[number]
export const TIERS = ['free', 'premium'] as const
export type Tier = (typeof TIERS)[number]

const LETTERS = Array.from({ length: 26 }, (_, i) => String.fromCharCode(65 + i))
/** Every `^[A-Z]{2}$` code the event contract admits, so slot = (first letter) * 26 + (second letter). */
const COUNTRY_CODES = LETTERS.flatMap((a) => LETTERS.map((b) => a + b))
const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'))

export type EventSource = 'country' | 'device' | 'hour'
export type ProfileSource = 'country' | 'age' | 'gender' | 'tier'

export interface DimensionDef {
  /** Name in the API (`?by=`) and the `dimension` column of the breakdown views. */
  readonly name: string
  readonly description: string
  /** The event field it is read from, if any; it wins over the profile. */
  readonly event?: EventSource
  /** The profile field it is read from when the event has none. */
  readonly profile?: ProfileSource
  /**
   * A cross of two dimensions listed before it (by name), instead of a source: its value is `<a>|<b>`, each part as
   * its own dimension gives it (`unknown` included), and `unknown` only when both parts are.
   */
  readonly cross?: readonly [string, string]
  /** Every value it takes, `unknown` aside (that one is always last, at index `values.length`). */
  readonly values: readonly string[]
  /** A regular expression that `values` are exactly the matches of, when that reads better than the list. */
  readonly pattern?: string
}

/** Between the parts of a cross's value; in no value of any dimension. */
export const CROSS_SEPARATOR = '|'

/** The value of a cross from its parts' values. */
export function crossValue(a: string, b: string): string {
  return a === UNKNOWN && b === UNKNOWN ? UNKNOWN : `${a}${CROSS_SEPARATOR}${b}`
}

/**
 * The cross of `a` and `b`, named `a_b`. Its values are every pair of the parts' values with their `unknown`s, in
 * the order a * (b's values + 1) + b, so the pair unknown|unknown, its own `unknown`, falls last as for every
 * dimension (the speed layer's slot of a cross is arithmetic on its parts' slots, speed-layer/breakdown.ts).
 */
function crossOf<A extends string, B extends string>(
  a: { readonly name: A; readonly values: readonly string[] },
  b: { readonly name: B; readonly values: readonly string[] },
  description: string,
): { name: `${A}_${B}`; cross: readonly [A, B]; values: readonly string[]; description: string } {
  const pairs = [...a.values, UNKNOWN].flatMap((x) => [...b.values, UNKNOWN].map((y) => crossValue(x, y)))
  return { name: `${a.name}_${b.name}`, cross: [a.name, b.name], values: pairs.slice(0, -1), description }
}

const AGE = {
  name: 'age',
  profile: 'age',
  values: AGE_BANDS.map((band) => band[0]),
  description: "age band of the listener in the year of the event, from the profile's birth year",
} as const
const GENDER = {
  name: 'gender',
  profile: 'gender',
  values: GENDERS,
  description: 'gender as the listener reported it',
} as const

export const DIMENSIONS = [
  {
    name: 'country',
    event: 'country',
    profile: 'country',
    values: COUNTRY_CODES,
    pattern: '^[A-Z]{2}$',
    description: "ISO-3166-1 alpha-2 country: the event's, else the listener account's",
  },
  { name: 'device', event: 'device', values: DEVICES, description: 'the device of the event' },
  { name: 'hour', event: 'hour', values: HOURS, description: 'UTC hour of day of the event time, 00..23' },
  AGE,
  GENDER,
  { name: 'tier', profile: 'tier', values: TIERS, description: 'subscription tier of the listener: free or premium' },
  crossOf(AGE, GENDER, 'age band and gender together, `<age>|<gender>` (e.g. `18-24|female`, `unknown|male`)'),
] as const satisfies readonly DimensionDef[]

export type DimensionName = (typeof DIMENSIONS)[number]['name']
export const DIMENSION_NAMES: readonly DimensionName[] = DIMENSIONS.map((d) => d.name)

export function dimensionByName(name: string): DimensionDef | undefined {
  return DIMENSIONS.find((d) => d.name === name)
}

/** A regular expression of the values of `d` and `unknown`: the API's rule for a value (OpenAPI `pattern`). */
export function valuePattern(d: DimensionDef): string {
  const alternatives =
    d.pattern !== undefined ? [d.pattern.replace(/^\^|\$$/g, '')] : d.values.map((v) => v.replace(/[+.]/g, '\\$&'))
  return `^(?:${[...alternatives, UNKNOWN].join('|')})$`
}

/** A value of `d` (or `unknown`) from a request; anything else is a 400 naming `field` and the rule. */
export function requireDimensionValue(d: DimensionDef, value: string, field: string): string {
  if (value === UNKNOWN || d.values.includes(value)) return value
  throw new Errors.BAD_REQUEST(
    `${field} must be a value of dimension ${d.name} (${d.description}) or ${UNKNOWN}, matching ${valuePattern(d)} (got ${JSON.stringify(value)})`,
  )
}

// ---- TypeScript: the value of an event, for tests, tools and the slow path ----------------------------------------

export function ageBand(birthYear: number | null | undefined, eventYear: number): string | undefined {
  if (birthYear === null || birthYear === undefined) return undefined
  const age = eventYear - birthYear
  return AGE_BANDS.find(([, min, max]) => age >= min && age <= max)?.[0]
}

function eventPart(src: EventSource, e: ListenEvent): string | undefined {
  if (src === 'country') return e.country
  if (src === 'device') return e.device
  return HOURS[new Date(e.ts).getUTCHours()]
}

function profilePart(src: ProfileSource, p: ListenerProfile, e: ListenEvent): string | undefined {
  if (src === 'country') return p.country ?? undefined
  if (src === 'age') return ageBand(p.birthYear, new Date(e.ts).getUTCFullYear())
  if (src === 'gender') return p.gender
  return p.tier
}

/** The dimensions a cross is made of. */
export function crossParts(d: DimensionDef): [DimensionDef, DimensionDef] | undefined {
  if (d.cross === undefined) return undefined
  const [a, b] = d.cross.map((name) => dimensionByName(name))
  if (a === undefined || b === undefined)
    throw new RangeError(`dimension ${d.name}: a part of its cross is not defined`)
  return [a, b]
}

/** The value of dimension `d` for event `e` of a listener with profile `p` (undefined: no profile). */
export function dimensionValue(d: DimensionDef, e: ListenEvent, p: ListenerProfile | undefined): string {
  const parts = crossParts(d)
  if (parts !== undefined) return crossValue(dimensionValue(parts[0], e, p), dimensionValue(parts[1], e, p))
  const v =
    (d.event !== undefined ? eventPart(d.event, e) : undefined) ??
    (d.profile !== undefined && p !== undefined ? profilePart(d.profile, p, e) : undefined)
  return v !== undefined && d.values.includes(v) ? v : UNKNOWN
}

// ---- SQL: the same values over the batch's deduplicated events joined with catalog/listeners ---------------------

/** Where the SQL finds what the dimensions read; `profile` absent when the lake has no listener profiles. */
export interface DimensionSqlColumns {
  readonly country: string
  readonly device: string
  /** The UTC hour of the event time as two digits, in the engine's dialect. */
  readonly utcHour: string
  /** The event day (a DATE). */
  readonly day: string
  readonly profile?: {
    readonly country: string
    readonly birthYear: string
    readonly gender: string
    readonly tier: string
  }
}

function eventSql(src: EventSource, c: DimensionSqlColumns): string {
  return src === 'country' ? c.country : src === 'device' ? c.device : c.utcHour
}

function profileSql(
  src: ProfileSource,
  p: NonNullable<DimensionSqlColumns['profile']>,
  c: DimensionSqlColumns,
): string {
  if (src === 'age') {
    const age = `(year(${c.day}) - ${p.birthYear})`
    return `CASE ${AGE_BANDS.map(([label, min, max]) => `WHEN ${age} BETWEEN ${min} AND ${max} THEN '${label}'`).join(' ')} END`
  }
  return src === 'country' ? p.country : src === 'gender' ? p.gender : p.tier
}

/** The SQL expression of one dimension's value (the same rule as `dimensionValue`); never NULL. */
export function dimensionSql(d: DimensionDef, c: DimensionSqlColumns): string {
  const cross = crossParts(d)
  if (cross !== undefined) {
    const [a, b] = cross.map((part) => dimensionSql(part, c))
    // concat() is spelled alike in DuckDB and Spark SQL.
    return `CASE WHEN ${a} = '${UNKNOWN}' AND ${b} = '${UNKNOWN}' THEN '${UNKNOWN}' ELSE concat(${a}, '${CROSS_SEPARATOR}', ${b}) END`
  }
  const parts: string[] = []
  if (d.event !== undefined) parts.push(eventSql(d.event, c))
  if (d.profile !== undefined && c.profile !== undefined) parts.push(profileSql(d.profile, c.profile, c))
  return `coalesce(${[...parts, `'${UNKNOWN}'`].join(', ')})`
}

// ---- Speed layer: a value as a dense slot, all dimensions in one slot space ---------------------------------------

/** First slot of each dimension (DIMENSIONS order); a dimension uses values.length + 1 slots (unknown last). */
export const SLOT_BASE: readonly number[] = DIMENSIONS.reduce<number[]>((acc, _d, i) => {
  acc.push(i === 0 ? 0 : acc[i - 1]! + DIMENSIONS[i - 1]!.values.length + 1)
  return acc
}, [])
/** Slots of all dimensions together; the speed layer keys a breakdown cell by day * SLOT_SPACE + slot. */
export const SLOT_SPACE = SLOT_BASE[SLOT_BASE.length - 1]! + DIMENSIONS[DIMENSIONS.length - 1]!.values.length + 1

/** The dimension index and value of a slot. */
export function slotValue(slot: number): { dimension: number; value: string } {
  for (let i = DIMENSIONS.length - 1; i >= 0; i--) {
    if (slot >= SLOT_BASE[i]!) return { dimension: i, value: DIMENSIONS[i]!.values[slot - SLOT_BASE[i]!] ?? UNKNOWN }
  }
  throw new RangeError(`slot ${slot} is negative`)
}

/** The slot of a value of dimension index `i` (unknown for a value not in its list). */
export function slotOf(i: number, value: string | undefined): number {
  const d = DIMENSIONS[i]!
  const k = value === undefined ? -1 : (d.values as readonly string[]).indexOf(value)
  return SLOT_BASE[i]! + (k < 0 ? d.values.length : k)
}
