import { describe, expect, it } from 'vitest'
import { packBatch } from '../../../shared/fast/batch-packing.ts'

const AT = Date.parse('2024-06-01T12:00:00Z')

describe('packBatch', () => {
  it('copies the values of one buffer as one run (framing included) and values of several buffers apart; a null is listed', () => {
    const fetch = Buffer.from('xx{"a":1}yy{"b":2}zz')
    const shared = [fetch.subarray(2, 9), null, fetch.subarray(11, 18)]
    const own = (text: string): Buffer => Buffer.from(new TextEncoder().encode(text).buffer)
    const apart = [own('{"a":1}'), null, own('{"b":2}')]
    for (const [values, size] of [[shared, 16], [apart, 14]] as const) {
      const b = packBatch(3, values.map((value, k) => ({ offset: String(10 + k), timestamp: String(AT + k), value })))
      const got = [...b.starts].map((s, k) => Buffer.from(b.values.subarray(s, b.ends[k])).toString())
      expect(got).toEqual(['{"a":1}', '', '{"b":2}'])
      expect(b).toMatchObject({ partition: 3, count: 3, nulls: [1] })
      expect(b.values.length).toBe(size)
      expect([...b.offsets]).toEqual([10, 11, 12])
      expect([...b.arrivals]).toEqual([AT, AT + 1, AT + 2])
    }
  })
})
