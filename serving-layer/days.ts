/** Day ranges of the report routes: UTC calendar days, as 'YYYY-MM-DD' on the wire and day numbers inside. */
import { Errors } from '../shared/errors.ts'
import { DAY_MS } from '../shared/layout.ts'

export const MAX_RANGE_DAYS = 366
export const DEFAULT_RANGE_DAYS = 30

export interface DayRange { from: string; to: string; first: number; last: number }

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** Days since 1970-01-01 of a 'YYYY-MM-DD' string, or undefined when it is not a real calendar date. */
export function dayNumber(date: string): number | undefined {
  const m = DATE.exec(date)
  if (!m) return undefined
  const y = Number(m[1])
  const mo = Number(m[2])
  const d = Number(m[3])
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
  if (mo < 1 || mo > 12 || d < 1 || d > MONTH_DAYS[mo - 1]! + (mo === 2 && leap ? 1 : 0)) return undefined
  return daysFromCivil(y, mo, d)
}

/** Howard Hinnant's days_from_civil: proleptic Gregorian date to days since 1970-01-01, without a Date. */
function daysFromCivil(y0: number, m: number, d: number): number {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

const dayStrings = new Map<number, string>()

export function dayString(day: number): string {
  let s = dayStrings.get(day)
  if (s === undefined) {
    s = new Date(day * DAY_MS).toISOString().slice(0, 10)
    if (dayStrings.size < 100_000) dayStrings.set(day, s)
  }
  return s
}

/** `from`/`to` as given (both optional: the last 30 days up to today), checked for the calendar and the span. */
export function resolveRange(from: string | undefined, to: string | undefined, now: number): DayRange {
  const last = to === undefined ? Math.floor(now / DAY_MS) : parse('to', to)
  const first = from === undefined ? last - (DEFAULT_RANGE_DAYS - 1) : parse('from', from)
  if (first > last) throw new Errors.BAD_REQUEST(`from (querystring) must be on or before to (${dayString(first)} > ${dayString(last)})`)
  if (last - first + 1 > MAX_RANGE_DAYS) {
    throw new Errors.BAD_REQUEST(`from..to (querystring) must span at most ${MAX_RANGE_DAYS} days (asked ${last - first + 1})`)
  }
  return { from: dayString(first), to: dayString(last), first, last }
}

function parse(name: string, value: string): number {
  const d = dayNumber(value)
  if (d === undefined) throw new Errors.BAD_REQUEST(`${name} (querystring) must be a calendar date YYYY-MM-DD (got ${JSON.stringify(value)})`)
  return d
}
