import fs from 'node:fs'
import { describe, expect, it } from 'vitest'
import { Errors, isPlaycountError, isRetryable } from '../../shared/errors.ts'

describe('the error registry', () => {
  const doc = fs.readFileSync(new URL('../../docs/ERRORS.md', import.meta.url), 'utf8')
  const rows = new Map(
    [...doc.matchAll(/^\| (PLAYCOUNT_\w+) \| (\d+) \| (yes|no) \|/gm)].map((m) => [
      m[1],
      { status: Number(m[2]), retryable: m[3] === 'yes' },
    ]),
  )

  it('matches docs/ERRORS.md code for code, status and retryable', () => {
    const codes = Object.values(Errors).map((E) => new E('x', 'y'))
    expect(new Set(codes.map((e) => e.code))).toEqual(new Set(rows.keys()))
    for (const e of codes) {
      expect({ code: e.code, status: e.statusCode, retryable: e.retryable }).toEqual({
        code: e.code,
        ...rows.get(e.code),
      })
    }
  })

  it('formats the message and keeps the cause', () => {
    const cause = new Error('socket hang up')
    const err = new Errors.LAKE_IO('put s3://b/k', { cause })
    expect(err.message).toBe('Lake read or write failed: put s3://b/k')
    expect(err.cause).toBe(cause)
    expect(err).toBeInstanceOf(Error)
  })

  it('exposes each code on its class, the same string its errors carry', () => {
    for (const E of Object.values(Errors)) expect(E.code).toBe(new E('x', 'y').code)
    // The code string is the public contract (docs/ERRORS.md, HTTP answers): spelled out here on purpose.
    expect(Errors.BATCH_LOCKED.code).toBe('PLAYCOUNT_BATCH_LOCKED')
  })

  it('tells one registry error from another by its code', () => {
    const locked = new Errors.BATCH_LOCKED('run-1')
    expect(isPlaycountError(locked)).toBe(true)
    expect(isPlaycountError(locked, 'BATCH_LOCKED')).toBe(true)
    expect(isPlaycountError(locked, 'LAKE_IO')).toBe(false)
    // An error that kept the code but not the class (a copy, another module instance) is still that error.
    expect(isPlaycountError(Object.assign(new Error('copy'), { code: 'PLAYCOUNT_LAKE_IO' }), 'LAKE_IO')).toBe(true)
    expect(isPlaycountError(Object.assign(new Error('fs'), { code: 'ENOENT' }))).toBe(false)
    expect(isPlaycountError(Object.assign(new Error('fs'), { code: 'ENOENT' }), 'LAKE_IO')).toBe(false)
    expect(isPlaycountError(undefined, 'LAKE_IO')).toBe(false)
  })

  it('never retries programmer errors', () => {
    expect(isRetryable(new TypeError('x'))).toBe(false)
    expect(isRetryable(new RangeError('x'))).toBe(false)
    expect(isRetryable(new Errors.EVENT_INVALID('x'))).toBe(false)
    expect(isRetryable(new Errors.KAFKA_UNAVAILABLE('x'))).toBe(true)
    expect(isRetryable(new Error('ECONNRESET'))).toBe(true)
  })
})
