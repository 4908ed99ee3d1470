import { describe, expect, it } from 'vitest'
import { packBatch, packBatchFrom } from '../../../shared/fast/batch-packing.ts'

const AT = Date.parse('2024-06-01T12:00:00Z')

describe('packBatch', () => {
  it('copies the values of one buffer as one run (framing included) and values of several buffers apart; a null is listed', () => {
    const fetch = Buffer.from('xx{"a":1}yy{"b":2}zz')
    const shared = [fetch.subarray(2, 9), null, fetch.subarray(11, 18)]
    const own = (text: string): Buffer => Buffer.from(new TextEncoder().encode(text).buffer)
    const apart = [own('{"a":1}'), null, own('{"b":2}')]
    for (const [values, size] of [
      [shared, 16],
      [apart, 14],
    ] as const) {
      const b = packBatch(
        3,
        values.map((value, k) => ({ offset: String(10 + k), timestamp: String(AT + k), value })),
      )
      const got = [...b.starts].map((s, k) => Buffer.from(b.values.subarray(s, b.ends[k])).toString())
      expect(got).toEqual(['{"a":1}', '', '{"b":2}'])
      expect(b).toMatchObject({ partition: 3, count: 3, nulls: [1] })
      expect(b.values.length).toBe(size)
      expect([...b.offsets]).toEqual([10, 11, 12])
      expect([...b.arrivals]).toEqual([AT, AT + 1, AT + 2])
    }
  })
})

describe('packBatch arrivals', () => {
  it('gives each message its own timestamp when messages share one timestamp string (LogAppendTime) and when not', () => {
    const batchTime = String(AT) // kafkajs hands every message of a LogAppendTime record batch this one string
    const timestamps = [batchTime, batchTime, String(AT + 5), String(AT + 5), batchTime, String(AT)]
    const b = packBatch(
      0,
      timestamps.map((timestamp, k) => ({ offset: String(k), timestamp, value: Buffer.from(`{"k":${k}}`) })),
    )
    expect([...b.arrivals]).toEqual([AT, AT, AT + 5, AT + 5, AT, AT])
  })
})

describe('packBatchFrom', () => {
  it('skips the messages below `from` and carries every value whether values share one buffer (with framing between), sit in several, or are empty', () => {
    const shared = Buffer.from('xx{"a":1}yyy{"b":22}z{"c":333}')
    const values: Array<Buffer | null> = [
      shared.subarray(2, 9),
      shared.subarray(12, 20),
      Buffer.from('{"own":true}'),
      null,
      shared.subarray(21, 30),
      shared.subarray(2, 9),
      Buffer.alloc(0),
    ]
    const msgs = values.map((v, k) => ({ offset: String(10 + k), timestamp: String(AT), value: v }))
    const { buffers: batch, next } = packBatchFrom(3, msgs, 11)!
    expect(next).toBe(17)
    expect(batch.count).toBe(6)
    expect([...batch.offsets]).toEqual([11, 12, 13, 14, 15, 16])
    const got = Array.from({ length: batch.count }, (_, k) =>
      Buffer.from(batch.values.subarray(batch.starts[k], batch.ends[k])).toString(),
    )
    expect(got).toEqual(['{"b":22}', '{"own":true}', '', '{"c":333}', '{"a":1}', ''])
    expect(packBatchFrom(3, msgs, 17)).toBeUndefined()
  })
})
