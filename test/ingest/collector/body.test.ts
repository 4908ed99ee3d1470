import { describe, expect, it } from 'vitest'
import { parseBody } from '../../../ingest/collector/body.ts'
import { MAX_EVENT_BYTES } from '../../../shared/event.ts'

const now = Date.UTC(2024, 5, 1)
const event = (i: number): string =>
  JSON.stringify({ eventId: `e-${i}`, ts: now - i, userId: `u-${i}`, songId: 's-1', type: 'play' })

describe('parseBody, NDJSON bytes', () => {
  it('takes CRLF and LF lines, skips blank ones, and numbers items among the non-blank lines', () => {
    const body = Buffer.from(`${event(1)}\r\n  \n\n${event(2)}\n{"eventId":\r\n\t\r\n${event(3)}`)
    const results = parseBody(body, true, body.length, { now })
    expect(results.map((r) => (r.ok ? r.event.eventId : r.issue.reason))).toEqual(['e-1', 'e-2', 'bad_json', 'e-3'])
  })

  it('refuses an oversized line as a whole (413) and a body without events (400)', () => {
    const big = Buffer.from(`${event(1)}\n${'x'.repeat(MAX_EVENT_BYTES + 1)}\n`)
    expect(() => parseBody(big, true, big.length, { now })).toThrow(/index 1/)
    expect(() => parseBody(Buffer.from('\n \r\n'), true, 4, { now })).toThrow(/no event/)
  })
})
