import { describe, expect, it } from 'vitest'
import { createKafka, ensureTopics } from '../../shared/kafka.ts'
import { signalId, type Signal } from '../../shared/signals.ts'
import { cleanupTopics, eventually, testConfig } from '../helpers.ts'
import { startTestServing } from './support/app.ts'
import { catalog } from '../speed-layer/fixtures.ts'

function signal(rule: string, listener: string, songId: string, lastTs: number): Signal {
  const windowStart = lastTs - (lastTs % 1_800_000)
  return {
    id: signalId(rule, listener, songId, windowStart),
    rule,
    listener,
    songId,
    artistId: catalog.artistOf(songId)!,
    key: songId,
    count: 3,
    firstTs: lastTs - 60_000,
    lastTs,
    windowStart,
    windowEnd: windowStart + 1_800_000,
    partition: 0,
    offset: 0,
  }
}

describe('GET /v1/signals (real broker)', () => {
  it('lists the signals topic newest first, each id once, filtered by rule, listener and since, with names', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    cleanupTopics(config)
    const kafka = createKafka(config)
    const admin = kafka.admin()
    await admin.connect()
    await ensureTopics(admin, config)
    await admin.disconnect()
    const t = Date.parse('2026-03-01T12:00:00Z')
    const sent = [
      signal('repeat-play', 'u1', 's1', t),
      signal('repeat-play', 'u2', 's2', t + 60_000),
      signal('artist-skips', 'u1', 's3', t + 120_000),
      signal('repeat-play', 'u1', 's4', t - 3_600_000),
    ]
    const producer = kafka.producer()
    await producer.connect()
    // The second copy of the first signal is a redelivery: listed once.
    await producer.send({
      topic: config.kafka.signalsTopic,
      messages: [...sent, sent[0]!].map((s) => ({ key: s.listener, value: JSON.stringify(s) })),
    })
    await producer.disconnect()

    const { app } = await startTestServing(config, { catalog, realtime: [] })
    const get = async (q: string) => {
      const r = await app.inject({ method: 'GET', url: `/v1/signals${q}` })
      return {
        status: r.statusCode,
        body: r.json() as {
          signals: Array<Signal & { songTitle: string }>
          held: number
          live: boolean
          message?: string
        },
      }
    }
    const all = await eventually(
      async () => {
        const r = await get('')
        return r.body.held === 4 ? r : undefined
      },
      30_000,
      'the four signals held',
    )
    expect(all.body.live).toBe(true)
    expect(all.body.signals.map((s) => s.id)).toEqual([sent[2]!.id, sent[1]!.id, sent[0]!.id, sent[3]!.id])
    expect(all.body.signals[0]!.songTitle).toBe('Song 3')
    expect((await get('?rule=artist-skips')).body.signals.map((s) => s.id)).toEqual([sent[2]!.id])
    expect((await get('?listener=u1&limit=2')).body.signals.map((s) => s.id)).toEqual([sent[2]!.id, sent[0]!.id])
    expect((await get(`?since=${new Date(t).toISOString()}&listener=u1`)).body.signals.map((s) => s.id)).toEqual([
      sent[2]!.id,
      sent[0]!.id,
    ])
    expect((await get(`?since=${t + 60_000}`)).body.signals.map((s) => s.id)).toEqual([sent[2]!.id, sent[1]!.id])
    const bad = await get('?since=yesterday')
    expect(bad.status).toBe(400)
    expect(bad.body.message).toMatch(/since="yesterday" must be an ISO-8601 instant/)
    expect((await get('?limit=0')).status).toBe(400)
  })
})
