import { describe, expect, it } from 'vitest'
import { prettyLogs } from '../../shared/logger.ts'

describe('prettyLogs', () => {
  it('pretty-prints for a person at a terminal and writes JSON lines for anything else', () => {
    expect(prettyLogs('auto', true)).toBe(true)
    expect(prettyLogs('auto', false)).toBe(false)
  })

  it('LOG_FORMAT=json writes JSON even on a terminal, and pretty prints even into a pipe', () => {
    expect(prettyLogs('json', true)).toBe(false)
    expect(prettyLogs('json', false)).toBe(false)
    expect(prettyLogs('pretty', false)).toBe(true)
    expect(prettyLogs('pretty', true)).toBe(true)
  })
})
