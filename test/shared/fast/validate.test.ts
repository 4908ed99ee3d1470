import { describe, expect, it } from 'vitest'
import { RowEncoder } from '../../../batch-layer/archiver/row-encoder.ts'
import { parseEventBytes } from '../../../shared/event.ts'
import { packBatch } from '../../../shared/fast/batch-packing.ts'
import { Interner } from '../../../shared/fast/interner.ts'
import { MessageValidator, PARSED, REJECTED, SCANNED } from '../../../shared/fast/validate.ts'
import { SpeedEngine } from '../../../speed-layer/engine.ts'

const AT = Date.parse('2024-06-01T12:00:00Z')
const songs: Array<[string, string]> = [
  ['s1', 'a1'],
  ['s2', 'a1'],
]
const event = (over: Record<string, unknown> = {}): string =>
  JSON.stringify({
    eventId: `e-${JSON.stringify(over).length}`,
    ts: AT - 5000,
    userId: 'u-1',
    songId: 's1',
    type: 'play',
    ...over,
  })

/** One of each kind of message: scanned, parsed (an escape), and every way of being invalid, a missing value included. */
const values: Array<string | null> = [
  event(),
  event({ eventId: 'e-\\u0041' }).replace('\\\\u0041', '\\u0041'),
  event({ songId: 'nope' }),
  'not json',
  null,
  '',
  event({ ts: AT + 2 * 3600_000 }),
  event({ type: 'hum' }),
  event({ msPlayed: -1 }),
  `{"eventId":"x","pad":"${'y'.repeat(17_000)}"}`,
  event({ eventId: 'e-\ud800' }),
  event({ songId: 's2', device: 'tv', country: 'DE', msPlayed: 5 }),
]
const messages = values.map((v, k) => ({
  offset: String(100 + k),
  timestamp: String(AT + k),
  value: v === null ? null : Buffer.from(v),
}))

describe('MessageValidator', () => {
  it('gives the verdict and names the issue exactly as parseEventBytes does, taking the byte scan where it can', () => {
    const ids = new Interner(false)
    for (const [s] of songs) ids.internString(s)
    const v = new MessageValidator(ids)
    const b = packBatch(0, messages)
    const verdicts = messages.map((_, k) =>
      v.check(b.values, b.starts[k]!, b.ends[k]!, b.arrivals[k]!) === REJECTED ? v.issue : 'ok',
    )
    const expected = messages.map((m, k) => {
      const r = parseEventBytes(m.value ?? Buffer.alloc(0), {
        now: AT + k,
        songExists: (id) => songs.some(([s]) => s === id),
      })
      return r.ok ? 'ok' : r.issue
    })
    expect(verdicts).toEqual(expected)
    expect(verdicts.filter((x) => x === 'ok')).toHaveLength(3)
    expect(v.check(b.values, b.starts[0]!, b.ends[0]!, AT)).toBe(SCANNED)
    expect(v.check(b.values, b.starts[1]!, b.ends[1]!, AT)).toBe(PARSED)
  })

  it('makes the speed engine and the archiver reject the same messages for the same reasons, a message without a value included', () => {
    const engine = new SpeedEngine({ songs, dedupWindow: 100, bucketMs: 3600_000 })
    engine.assign(0, 0)
    const counted = engine.ingest({ ...packBatch(0, messages), now: AT })
    const rows = new RowEncoder(songs).encode(packBatch(0, messages))
    expect(counted.rejections.length).toBe(messages.length - 3)
    expect(rows.rejections.map(({ index, offset, issue }) => ({ index, offset, issue }))).toEqual(counted.rejections)
    expect(rows.rejections.find((r) => r.offset === 104)).toMatchObject({ value: null, issue: { reason: 'bad_json' } })
    expect(counted.counted + counted.duplicates + counted.heldOut).toBe(3)
  })
})
