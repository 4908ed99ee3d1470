/** The days a caller asks a run to recompute: --date D (repeatable) and --from D1 --to D2, validated. */
import { Errors } from '../../shared/errors.ts'
import { DAY_MS } from '../../shared/layout.ts'

const DAY = /^\d{4}-\d{2}-\d{2}$/
/** A backfill longer than this is almost certainly a typo in a year. */
export const MAX_BACKFILL_DAYS = 3660

export function parseDay(value: string, what: string): number {
  const ms = Date.parse(`${value}T00:00:00Z`)
  if (!DAY.test(value) || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new Errors.BAD_REQUEST(`${what} must be a date YYYY-MM-DD, got ${JSON.stringify(value)}`)
  }
  return ms
}

export function requestedDays(opts: { dates?: readonly string[]; from?: string; to?: string }): string[] {
  const days = new Set<string>()
  for (const d of opts.dates ?? []) {
    parseDay(d, 'date')
    days.add(d)
  }
  if ((opts.from === undefined) !== (opts.to === undefined)) throw new Errors.BAD_REQUEST('from and to go together')
  if (opts.from !== undefined && opts.to !== undefined) {
    const from = parseDay(opts.from, 'from')
    const to = parseDay(opts.to, 'to')
    if (to < from) throw new Errors.BAD_REQUEST(`to (${opts.to}) is before from (${opts.from})`)
    if ((to - from) / DAY_MS + 1 > MAX_BACKFILL_DAYS) throw new Errors.BAD_REQUEST(`a range covers at most ${MAX_BACKFILL_DAYS} days`)
    for (let t = from; t <= to; t += DAY_MS) days.add(new Date(t).toISOString().slice(0, 10))
  }
  return [...days].sort()
}
