import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Errors, isRetryable } from '../../shared/errors.ts'

describe('the error registry', () => {
  const doc = fs.readFileSync(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8')
  const rows = new Map([...doc.matchAll(/^\| (PLAYCOUNT_\w+) \| (\d+) \| (yes|no) \|/gm)].map((m) => [m[1], { status: Number(m[2]), retryable: m[3] === 'yes' }]))

  it('matches docs/ERRORS.md code for code, status and retryable', () => {
    const codes = Object.values(Errors).map((E) => new E('x', 'y'))
    expect(new Set(codes.map((e) => e.code))).toEqual(new Set(rows.keys()))
    for (const e of codes) {
      expect({ code: e.code, status: e.statusCode, retryable: e.retryable }).toEqual({ code: e.code, ...rows.get(e.code) })
    }
  })

  it('formats the message and keeps the cause', () => {
    const cause = new Error('socket hang up')
    const err = new Errors.LAKE_IO('put s3://b/k', { cause })
    expect(err.message).toBe('Lake read or write failed: put s3://b/k')
    expect(err.cause).toBe(cause)
    expect(err).toBeInstanceOf(Error)
  })

  it('never retries programmer errors', () => {
    expect(isRetryable(new TypeError('x'))).toBe(false)
    expect(isRetryable(new RangeError('x'))).toBe(false)
    expect(isRetryable(new Errors.EVENT_INVALID('x'))).toBe(false)
    expect(isRetryable(new Errors.KAFKA_UNAVAILABLE('x'))).toBe(true)
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true)
  })
})
