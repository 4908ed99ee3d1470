import { describe, expect, it } from 'vitest'
import { formatResult } from '../../../batch-layer/sql/format.ts'
import { firstKeyword } from '../../../batch-layer/sql/guard.ts'

describe('sql output and guard helpers', () => {
  const result = {
    columns: ['day', 'title', 'plays'],
    rows: [
      ['2024-03-01', 'Hello, "World"', 12],
      ['2024-03-02', null, 3],
    ],
  }

  it('writes CSV with RFC 4180 quoting and JSON objects with numbers', () => {
    expect(formatResult(result, 'csv')).toBe('day,title,plays\n2024-03-01,"Hello, ""World""",12\n2024-03-02,,3')
    expect(JSON.parse(formatResult(result, 'json'))).toEqual([
      { day: '2024-03-01', title: 'Hello, "World"', plays: 12 },
      { day: '2024-03-02', title: null, plays: 3 },
    ])
    expect(formatResult(result, 'table')).toMatch(/Hello, "World".*\n[\s\S]*NULL[\s\S]*\(2 rows\)$/)
  })

  it('finds the first keyword past comments', () => {
    expect(firstKeyword('  -- why\n /* x */ select 1')).toBe('SELECT')
    expect(firstKeyword('(SELECT 1)')).toBe('(')
    expect(firstKeyword('/* unterminated')).toBe('')
  })
})
