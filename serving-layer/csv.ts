/** `?format=csv` of the daily routes: the same days and numbers as the JSON, one row per day. */
import { METRICS } from '../shared/metrics.ts'
import type { DailyRow } from './merge.ts'

const COLUMNS = ['date', ...METRICS.map((m) => m.name), 'listenersExact', 'source'] as const

export function dailyCsv(days: readonly DailyRow[]): string {
  const lines = [COLUMNS.join(',')]
  for (const d of days) lines.push(COLUMNS.map((c) => String(d[c as keyof DailyRow])).join(','))
  return `${lines.join('\n')}\n`
}
