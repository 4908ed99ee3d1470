import { describe, expect, it } from 'vitest'
import {
  DAY_MS,
  dayOfMs,
  dayStartMs,
  daysBetween,
  formatDay,
  parseDay,
  requireDay,
  resolveRange,
  yearOfDay,
} from '../../shared/day.ts'

describe('parseDay', () => {
  it('reads only real calendar dates in the form YYYY-MM-DD', () => {
    // Date.parse reads 2024-02-30 as 1 March: the one day type must not.
    for (const bad of [
      '2024-02-30',
      '2023-02-29',
      '2100-02-29',
      '2026-04-31',
      '2026-13-01',
      '2026-00-10',
      '2026-01-00',
      '2026-1-01',
      '2026-01-1',
      '20260101',
      '2026-01-01T00:00:00Z',
      ' 2026-01-01',
      '2026-01-01 ',
      '+02026-01-01',
      '',
      'x',
    ]) {
      expect(parseDay(bad), bad).toBeUndefined()
    }
    expect(parseDay('2024-02-29')).toBe(Date.UTC(2024, 1, 29) / DAY_MS)
    expect(parseDay('2000-02-29')).toBe(Date.UTC(2000, 1, 29) / DAY_MS)
    expect(parseDay('1970-01-01')).toBe(0)
    expect(parseDay('1969-12-31')).toBe(-1)
  })

  it('agrees with Date both ways for every day of 1899-2101', () => {
    const wrong: string[] = []
    for (let ms = Date.UTC(1899, 0, 1); ms < Date.UTC(2101, 0, 1); ms += DAY_MS) {
      const text = new Date(ms).toISOString().slice(0, 10)
      if (parseDay(text) !== ms / DAY_MS || formatDay(ms / DAY_MS) !== text) wrong.push(text)
    }
    expect(wrong).toEqual([])
  })

  it('requireDay names the field and the rule', () => {
    expect(() => requireDay('2024-02-30', '--date')).toThrow(
      '--date must be a calendar date YYYY-MM-DD (got "2024-02-30")',
    )
    expect(requireDay('2024-02-29', '--date')).toBe(parseDay('2024-02-29'))
  })
})

describe('days and instants', () => {
  it('the UTC day of an instant, and the first instant of a day', () => {
    expect(dayOfMs(Date.parse('2026-03-15T23:59:59.999Z'))).toBe(parseDay('2026-03-15'))
    expect(dayOfMs(Date.parse('2026-03-16T00:00:00Z'))).toBe(parseDay('2026-03-16'))
    expect(dayOfMs(-1)).toBe(-1)
    expect(dayStartMs(parseDay('2026-03-16')!)).toBe(Date.parse('2026-03-16T00:00:00Z'))
    expect(daysBetween(parseDay('2024-02-28')!, parseDay('2024-03-01')!).map(formatDay)).toEqual([
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
    ])
  })
})

describe('resolveRange (the report API range)', () => {
  const now = Date.parse('2026-03-15T23:59:00Z')
  const text = (r: { first: number; last: number }) => [formatDay(r.first), formatDay(r.last)]

  it('defaults to the last 30 days up to today (UTC)', () => {
    expect(text(resolveRange(undefined, undefined, now))).toEqual(['2026-02-14', '2026-03-15'])
    expect(text(resolveRange(undefined, '2026-01-30', now))).toEqual(['2026-01-01', '2026-01-30'])
  })

  it('refuses impossible dates, reversed ranges and ranges over 366 days, naming the parameter', () => {
    expect(() => resolveRange('2024-02-30', undefined, now)).toThrow(
      'from (querystring) must be a calendar date YYYY-MM-DD',
    )
    expect(() => resolveRange('2026-01-01', '2023-02-29', now)).toThrow(
      'to (querystring) must be a calendar date YYYY-MM-DD',
    )
    expect(() => resolveRange('2026-03-02', '2026-03-01', now)).toThrow('from (querystring) must be on or before to')
    expect(() => resolveRange('2024-01-01', '2025-01-01', now)).toThrow(
      'from..to (querystring) must span at most 366 days (asked 367)',
    )
    // A leap year is exactly the limit.
    const leap = resolveRange('2024-01-01', '2024-12-31', now)
    expect(leap.last - leap.first + 1).toBe(366)
  })
})

describe('yearOfDay', () => {
  it("is Date's UTC year, and formatDay's, for every day of 1968..2101", () => {
    const wrong: number[] = []
    for (let day = -800; day < 48_000; day++) {
      const year = new Date(day * DAY_MS).getUTCFullYear()
      if (yearOfDay(day) !== year || Number(formatDay(day).slice(0, 4)) !== year) wrong.push(day)
    }
    expect(wrong).toEqual([])
    expect(yearOfDay(parseDay('2024-12-31')!)).toBe(2024)
    expect(yearOfDay(parseDay('2025-01-01')!)).toBe(2025)
  })
})
