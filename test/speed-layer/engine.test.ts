import { describe, expect, it } from 'vitest'
import { encodeEvent, parseEventBytes, type ListenEvent } from '../../shared/event.ts'
import { DAY_MS, HOUR_MS } from '../../shared/layout.ts'
import { packBatchFrom } from '../../shared/fast/batch-packing.ts'
import { InlineEngine, WorkerEngine } from '../../speed-layer/engine-client.ts'
import { SpeedEngine, type EngineBatch } from '../../speed-layer/engine.ts'
import { rng } from '../support/random.ts'

const T = Date.parse('2026-03-10T12:00:00Z')
const songs: Array<[string, string]> = [
  ['s1', 'a1'],
  ['s2', 'a1'],
  ['s3', 'a2'],
]

function message(value: string | Buffer, offset: number, timestamp = T) {
  return {
    offset: String(offset),
    timestamp: String(timestamp),
    value: typeof value === 'string' ? Buffer.from(value) : value,
    key: null,
    attributes: 0,
    headers: {},
  }
}

/** The batch as the consumer hands it to the engine (packed from offset `from` on, with the wall clock). */
function engineBatch(
  partition: number,
  messages: Parameters<typeof packBatchFrom>[1],
  from: number,
): { batch: EngineBatch; next: number } | undefined {
  const packed = packBatchFrom(partition, messages, from)
  return packed && { batch: { ...packed.buffers, now: Date.now() }, next: packed.next }
}

function event(i: number, over: Partial<ListenEvent> = {}): ListenEvent {
  return {
    eventId: `e-${i}`,
    ts: T - (i % 3) * DAY_MS,
    userId: `u${i % 5}`,
    songId: songs[i % 3]![0],
    type: (['play', 'skip', 'like', 'complete'] as const)[i % 4]!,
    msPlayed: i * 10,
    ...over,
  }
}

describe('SpeedEngine', () => {
  it('counts a batch of bytes exactly as the decoded events, and sends each invalid message back with its issue', () => {
    const valid = Array.from({ length: 40 }, (_, i) => event(i))
    const values: Array<string | Buffer> = valid.map(encodeEvent)
    values.push(encodeEvent(valid[3]!)) // a retry: counted once
    values.push('{"eventId":"e-\\u0041","ts":1773144000000,"userId":"u1","songId":"s1","type":"play"}') // escape: full path, valid
    values.push('{"eventId":"bad","ts":1773144000000,"userId":"u1","songId":"nope","type":"play"}')
    values.push('{"eventId":"bad2","ts":1773144000000,"userId":"u1","songId":"s1"')
    values.push(Buffer.alloc(0))
    values.push('{"eventId":"late","ts":1773144000000,"userId":"u9","songId":"s3","type":"play","msPlayed":5}')
    const tombstone = { ...message('', 100 + values.length), value: null } // a message without a value
    const encoded = engineBatch(0, [...values.map((v, k) => message(v, 100 + k)), tombstone], 0)!
    const bytes = new SpeedEngine({ songs, dedupWindow: 1000, bucketMs: HOUR_MS })
    bytes.assign(0, 0)
    encoded.batch.now = T // trending keeps what arrived within a day of the batch's wall clock
    const out = bytes.ingest(encoded.batch)
    expect(encoded.next).toBe(101 + values.length)
    expect(out.rejections.map((l) => [l.offset, l.issue.reason, l.issue.field])).toEqual([
      [142, 'unknown_song', 'songId'],
      [143, 'bad_json', '(event)'],
      [144, 'bad_json', '(event)'],
      [146, 'bad_json', '(event)'],
    ])
    expect(out.duplicates).toBe(1)
    expect(out.counted + out.heldOut).toBe(42)

    const decoded = new SpeedEngine({ songs, dedupWindow: 1000, bucketMs: HOUR_MS })
    decoded.assign(0, 0)
    for (const v of values) {
      const r = parseEventBytes(typeof v === 'string' ? Buffer.from(v) : v, {
        songExists: (id) => songs.some(([s]) => s === id),
        now: T,
      })
      if (r.ok) decoded.applyEvent(0, r.event, T, T)
    }
    const range = { partitions: [0], watermark: 0, fromDay: Math.floor(T / DAY_MS) - 3, toDay: Math.floor(T / DAY_MS) }
    for (const [kind, id] of [
      ['song', 's1'],
      ['song', 's2'],
      ['song', 's3'],
      ['artist', 'a1'],
      ['artist', 'a2'],
    ] as const) {
      const a = bytes.daily({ ...range, kind, id })
      expect(a.length).toBeGreaterThan(0)
      expect(a).toEqual(decoded.daily({ ...range, kind, id }))
    }
    expect(bytes.trending({ partitions: [0], kind: 'song', window: '24h', now: T, limit: 10 })).toEqual(
      decoded.trending({ partitions: [0], kind: 'song', window: '24h', now: T, limit: 10 }),
    )
  })

  it('rejects a message whose eventId escapes a lone surrogate, as parseEventBytes refuses it', () => {
    // JSON.stringify writes a lone surrogate as its escape, so the message is ASCII and the byte scan defers.
    const values = [
      event(1),
      event(2, { eventId: 'e-\ud800' }),
      event(3, { eventId: 'e-\udbff' }),
      event(4, { eventId: 'e-\ud83c\udfb5' }),
    ].map(encodeEvent)
    expect(values[1]).toContain('\\ud800')
    const engine = new SpeedEngine({ songs, dedupWindow: 1000, bucketMs: HOUR_MS })
    engine.assign(0, 0)
    const encoded = engineBatch(
      0,
      values.map((v, k) => message(v, 10 + k)),
      0,
    )!
    encoded.batch.now = T
    const out = engine.ingest(encoded.batch)
    expect(out.rejections.map((l) => [l.offset, l.issue])).toEqual(
      [11, 12].map((offset) => {
        const r = parseEventBytes(Buffer.from(values[offset - 10]!), { now: T })
        return [offset, r.ok ? null : r.issue]
      }),
    )
    expect(out.rejections[0]!.issue).toMatchObject({ reason: 'invalid_field', field: 'eventId' })
    expect(out.counted + out.heldOut).toBe(2)
  })

  it('holds out arrivals before the held range but remembers their ids, and drops whole buckets', () => {
    const engine = new SpeedEngine({ songs, dedupWindow: 1000, bucketMs: HOUR_MS })
    engine.assign(0, T)
    expect(engine.applyEvent(0, event(1), T - 1, T)).toBe('held_out')
    expect(engine.applyEvent(0, event(1), T + 5, T)).toBe('duplicate')
    expect(engine.applyEvent(0, event(2), T + HOUR_MS, T)).toBe('counted')
    expect(engine.applyEvent(0, event(4), T + 10, T)).toBe('counted')
    expect(engine.stats().songKeys).toBe(2)
    expect(engine.dropBefore(0, T + HOUR_MS)).toBe(1)
    expect(engine.stats().songKeys).toBe(1)
    // From now on arrivals before the new held range are held out.
    expect(engine.applyEvent(0, event(6), T + 20, T)).toBe('held_out')
    expect(() => engine.applyEvent(7, event(5), T, T)).toThrow(/partition 7 is not assigned/)
  })

  it('forgets the listener ids of dropped buckets and keeps counting the held ones exactly', () => {
    const engine = new SpeedEngine({ songs, dedupWindow: 1000, bucketMs: HOUR_MS })
    engine.assign(0, 0)
    let n = 0
    const play = (userId: string, arrival: number): string =>
      engine.applyEvent(0, { eventId: `c${n++}`, ts: T, userId, songId: 's1', type: 'play' }, arrival, T)
    for (let i = 0; i < 150_000; i++) play(`old-${i}`, T)
    for (let i = 0; i < 100; i++) play(`u${i % 10}`, T + HOUR_MS)
    const q = {
      partitions: [0],
      watermark: T + HOUR_MS,
      kind: 'song' as const,
      id: 's1',
      fromDay: Math.floor(T / DAY_MS),
      toDay: Math.floor(T / DAY_MS),
    }
    const before = engine.daily(q)
    expect(before[0]![1]).toMatchObject({ plays: 100, listeners: 10 })
    expect(engine.stats().listenerIds).toBe(150_010)
    expect(engine.dropBefore(0, T + HOUR_MS)).toBe(1)
    expect(engine.stats().listenerIds).toBe(10)
    expect(engine.daily(q)).toEqual(before)
    // The held listeners keep their identity across the compaction: u3 again is not a new listener, u10 is.
    play('u3', T + HOUR_MS)
    play('u10', T + HOUR_MS)
    expect(engine.daily(q)[0]![1]).toMatchObject({ plays: 102, listeners: 11 })
    expect(engine.daily({ ...q, kind: 'artist', id: 'a1' })[0]![1]).toMatchObject({ plays: 102, listeners: 11 })
  })

  it('unions listeners across arrival buckets, however many ids, one union after another, and only within the range', () => {
    const engine = new SpeedEngine({ songs, dedupWindow: 100_000, bucketMs: HOUR_MS })
    engine.assign(0, 0)
    let n = 0
    const play = (userId: string, ts: number, arrival: number): string =>
      engine.applyEvent(0, { eventId: `m${n++}`, ts, userId, songId: 's1', type: 'play' }, arrival, T)
    // Day T: 3000 listeners in hour 1, 2000 of them again plus 500 new in hour 2 (ids well past any first table size).
    for (let i = 0; i < 3000; i++) play(`x${i}`, T, T)
    for (let i = 1000; i < 3500; i++) play(`x${i}`, T, T + HOUR_MS)
    // The day before (late events): 3 listeners, one in both hours.
    for (const [u, arrival] of [
      ['y1', T],
      ['y2', T],
      ['y1', T + HOUR_MS],
      ['y3', T + HOUR_MS],
    ] as const)
      play(u, T - DAY_MS, arrival)
    const day = Math.floor(T / DAY_MS)
    const q = {
      partitions: [0],
      watermark: T - (T % HOUR_MS),
      kind: 'song' as const,
      id: 's1',
      fromDay: day - 30,
      toDay: day + 30,
    }
    const all = engine.daily(q)
    expect(all.map(([d, v]) => [d - day, v.plays, v.listeners])).toEqual([
      [-1, 4, 3],
      [0, 5500, 3500],
    ])
    expect(engine.daily(q)).toEqual(all)
    expect(engine.daily({ ...q, fromDay: day, toDay: day + 366 }).map(([d]) => d - day)).toEqual([0])
    expect(engine.daily({ ...q, fromDay: day + 1, toDay: day + 366 })).toEqual([])
    // From the second bucket only: no union needed, each day's own count.
    expect(engine.daily({ ...q, watermark: q.watermark + HOUR_MS }).map(([d, v]) => [d - day, v.listeners])).toEqual([
      [-1, 2],
      [0, 2500],
    ])
  })

  it('answers the same on its own thread as in-process, over a random stream', async () => {
    const rand = rng(7)
    const worker = new WorkerEngine({ songs, dedupWindow: 50, bucketMs: HOUR_MS })
    const inline = new InlineEngine({ songs, dedupWindow: 50, bucketMs: HOUR_MS })
    try {
      for (const e of [worker, inline]) await e.assign(1, 0)
      let offset = 0
      for (let b = 0; b < 20; b++) {
        const msgs = Array.from({ length: 50 }, () => {
          const i = Math.floor(rand() * 200)
          return message(encodeEvent(event(i)), offset++, T + Math.floor(rand() * 3) * HOUR_MS)
        })
        const [a, c] = await Promise.all([
          worker.ingest(engineBatch(1, msgs, 0)!.batch),
          inline.ingest(engineBatch(1, msgs, 0)!.batch),
        ])
        expect(a).toEqual(c)
      }
      const q = {
        partitions: [1],
        watermark: 0,
        kind: 'artist' as const,
        id: 'a1',
        fromDay: Math.floor(T / DAY_MS) - 3,
        toDay: Math.floor(T / DAY_MS),
      }
      const rows = await worker.daily(q)
      expect(rows.length).toBe(2) // a1's songs s1 and s2 have events on two days
      expect(rows).toEqual(await inline.daily(q))
      expect((await worker.stats()).songKeys).toBe((await inline.stats()).songKeys)
      await expect(worker.daily({ ...q, partitions: [9] })).rejects.toThrow(/partition 9 is not assigned/)
    } finally {
      await worker.close()
    }
  })

  it('reports a dead engine thread once and refuses every call after it', async () => {
    const failures: Error[] = []
    const engine = new WorkerEngine({ songs, dedupWindow: 0, bucketMs: HOUR_MS }, (err) => failures.push(err))
    await expect(engine.assign(0, 0)).rejects.toThrow(
      /speed engine thread stopped: dedupWindow must be a positive integer/,
    )
    await expect(engine.stats()).rejects.toThrow(/speed engine thread stopped/)
    expect(failures).toHaveLength(1)
    await engine.close()
  })
})
