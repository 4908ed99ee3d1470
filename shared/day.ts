/**
 * The one day type (docs/ARCHITECTURE.md#days): a UTC calendar day as a number, the days since 1970-01-01.
 * Every layer computes with day numbers; the 'YYYY-MM-DD' string exists only at the edges (HTTP, SQL, lake keys,
 * the command line), where `parseDay` reads it strictly and `formatDay` writes it.
 *
 * Why not Date: `Date.parse('2024-02-30')` is 1 March, and a date string that means another day must be refused.
 * The conversions are Howard Hinnant's civil-calendar algorithms (proleptic Gregorian, no allocation).
 */
import { Errors } from './errors.ts'

/** Days since 1970-01-01 (UTC). */
export type Day = number

export const DAY_MS = 86_400_000
/** The longest range a report request may ask for (docs/ARCHITECTURE.md#report-api). */
export const MAX_RANGE_DAYS = 366
/** The range a report answers when the request names none: the last 30 days up to today. */
export const DEFAULT_RANGE_DAYS = 30

const DAY_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/

export function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days in month `m` (1–12) of year `y`. */
export function daysInMonth(y: number, m: number): number {
  return m === 2 && isLeapYear(y) ? 29 : MONTH_DAYS[m - 1]!
}

/** The day of a calendar date; `m` 1–12, `d` 1–31, not checked (see `parseDay`). */
export function dayFromCivil(y0: number, m: number, d: number): Day {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** 'YYYY-MM-DD' as a day, or undefined unless it is exactly that form and a real calendar date. */
export function parseDay(text: string): Day | undefined {
  const m = DAY_TEXT.exec(text)
  if (!m) return undefined
  const y = Number(m[1])
  const mo = Number(m[2])
  const d = Number(m[3])
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return undefined
  return dayFromCivil(y, mo, d)
}

export function isDayText(text: string): boolean {
  return parseDay(text) !== undefined
}

/**
 * `parseDay` for input: a bad value is a PLAYCOUNT_BAD_REQUEST (400) naming the field, e.g. 'from (querystring)'
 * or '--date'.
 */
export function requireDay(text: string, field: string): Day {
  const day = parseDay(text)
  if (day === undefined)
    throw new Errors.BAD_REQUEST(`${field} must be a calendar date YYYY-MM-DD (got ${JSON.stringify(text)})`)
  return day
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n))

/**
 * A day as the number y * 10000 + m * 100 + d (Howard Hinnant's civil_from_days), so callers that need only the
 * year allocate nothing: the speed layer's age bands ask per event.
 */
function civilDate(day: Day): number {
  const z = day + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return y * 10000 + m * 100 + d
}

/** The calendar year of a day (years 0–9999). */
export function yearOfDay(day: Day): number {
  return Math.floor(civilDate(day) / 10000)
}

/** A day as 'YYYY-MM-DD' (years 0–9999). */
export function formatDay(day: Day): string {
  const ymd = civilDate(day)
  return `${String(Math.floor(ymd / 10000)).padStart(4, '0')}-${pad2(Math.floor(ymd / 100) % 100)}-${pad2(ymd % 100)}`
}

/** The UTC day an instant (epoch ms) falls on. */
export function dayOfMs(epochMs: number): Day {
  return Math.floor(epochMs / DAY_MS)
}

/** The first instant (epoch ms) of a day. */
export function dayStartMs(day: Day): number {
  return day * DAY_MS
}

/** The days first..last, inclusive. */
export function daysBetween(first: Day, last: Day): Day[] {
  const out: Day[] = []
  for (let d = first; d <= last; d++) out.push(d)
  return out
}

export interface DayRange {
  first: Day
  last: Day
}

/**
 * A report's `from`/`to` (both optional: the last DEFAULT_RANGE_DAYS days up to the day of `now`), checked for the
 * calendar, the order and the span of at most `maxDays` days. `where` names where the fields came from.
 */
export function resolveRange(
  from: string | undefined,
  to: string | undefined,
  now: number,
  opts: { maxDays?: number; where?: string } = {},
): DayRange {
  const maxDays = opts.maxDays ?? MAX_RANGE_DAYS
  const where = opts.where ?? 'querystring'
  const last = to === undefined ? dayOfMs(now) : requireDay(to, `to (${where})`)
  const first = from === undefined ? last - (DEFAULT_RANGE_DAYS - 1) : requireDay(from, `from (${where})`)
  if (first > last)
    throw new Errors.BAD_REQUEST(`from (${where}) must be on or before to (${formatDay(first)} > ${formatDay(last)})`)
  if (last - first + 1 > maxDays) {
    throw new Errors.BAD_REQUEST(`from..to (${where}) must span at most ${maxDays} days (asked ${last - first + 1})`)
  }
  return { first, last }
}
