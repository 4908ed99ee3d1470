/** Printing query results: an aligned table for people, CSV (RFC 4180) or JSON (an array of objects) for programs. */
import Table from 'cli-table3'
import type { SqlResult } from './session.ts'

export const SQL_FORMATS = ['table', 'csv', 'json'] as const
export type SqlFormat = (typeof SQL_FORMATS)[number]

function text(v: unknown): string {
  if (v === null || v === undefined) return ''
  return typeof v === 'object' ? JSON.stringify(v) : String(v)
}

function csvField(v: unknown): string {
  const s = text(v)
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s
}

export function formatResult(result: SqlResult, format: SqlFormat): string {
  switch (format) {
    case 'csv':
      return [result.columns, ...result.rows].map((r) => r.map(csvField).join(',')).join('\n')
    case 'json':
      return JSON.stringify(
        result.rows.map((r) => Object.fromEntries(result.columns.map((c, i) => [c, r[i] ?? null]))),
        null,
        2,
      )
    case 'table': {
      const table = new Table({ head: result.columns, style: { head: [], border: [] } })
      for (const r of result.rows) table.push(r.map((v) => (v === null ? 'NULL' : text(v))))
      return `${table.toString()}\n(${result.rows.length} row${result.rows.length === 1 ? '' : 's'})`
    }
  }
}
