import { Registry } from 'prom-client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildCollector } from '../../ingest/collector/index.ts'
import { Catalog } from '../../shared/catalog.ts'
import type { Config } from '../../shared/config.ts'
import { encodeEvent, MAX_EVENT_BYTES } from '../../shared/event.ts'
import { buildHttpApp } from '../../shared/http-app.ts'
import { createLogger } from '../../shared/logger.ts'
import { cleanupTopics, testConfig } from '../helpers.ts'
import { readTopic, topicSize } from './kafka-read.ts'

const catalog = new Catalog(
  [{ artistId: 'ar-1', name: 'Nina Vale', genre: 'pop', country: 'GB' }],
  [{ songId: 'so-1', artistId: 'ar-1', title: 'Glass Rivers', genre: 'pop', durationMs: 200_000, popularityRank: 1 },
    { songId: 'so-2', artistId: 'ar-1', title: 'Low Tide', genre: 'pop', durationMs: 180_000, popularityRank: 2 }],
)
const log = createLogger({ level: 'silent' })
let n = 0
function event(patch: Record<string, unknown> = {}): Record<string, unknown> {
  n++
  return { eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`, ts: Date.now() - 60_000, userId: `user-${n % 3}`, songId: 'so-1', type: 'play', ...patch }
}

async function collectorApp(config: Readonly<Config>, opts: { start?: boolean; sendTimeoutMs?: number } = {}) {
  const registry = new Registry()
  const collector = buildCollector(config, { catalog, log, registry, sendTimeoutMs: opts.sendTimeoutMs ?? 5000 })
  onTestFinished(() => collector.stop())
  if (opts.start !== false) await collector.start()
  const app = await buildHttpApp(config, { log, registry, plugins: [collector.routes], readiness: () => ({ ready: true, details: {} }) })
  onTestFinished(() => app.close())
  return { app, collector, registry }
}

describe('the HTTP collector', () => {
  it('puts accepted events on the topic keyed by userId, refuses invalid ones with index, field and rule', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const { app, registry } = await collectorApp(config)

    const single = event({ ts: '2024-06-01T10:00:00+02:00', msPlayed: 1234, device: 'tv', country: 'DE' })
    const one = await app.inject({ method: 'POST', url: '/v1/events', payload: single })
    expect(one.statusCode).toBe(202)
    expect(one.json()).toEqual({ accepted: 1, rejected: [] })

    const unknown = event({ songId: 'so-404' })
    const refused = await app.inject({ method: 'POST', url: '/v1/events', payload: unknown })
    expect(refused.statusCode).toBe(400)
    expect(refused.json()).toMatchObject({
      error: 'PLAYCOUNT_EVENT_INVALID', accepted: 0,
      rejected: [{ index: 0, field: 'songId', rule: 'must exist in the catalog', reason: 'unknown_song' }],
    })

    const [a, bad, b] = [event(), event({ type: 'stop' }), event({ type: 'skip', msPlayed: 5000 })]
    const batch = await app.inject({ method: 'POST', url: '/v1/events', payload: [a, bad, b] })
    expect(batch.statusCode).toBe(202)
    expect(batch.json()).toEqual({ accepted: 2, rejected: [{ index: 1, field: 'type', reason: 'invalid_field', rule: expect.stringContaining('one of play') }] })

    const [c, d] = [event({ songId: 'so-2' }), event({ type: 'like' })]
    const missing = event()
    delete missing.userId
    const ndjson = [JSON.stringify(c), '{"eventId":', '', JSON.stringify(missing), JSON.stringify(d)].join('\n') + '\n'
    const lines = await app.inject({ method: 'POST', url: '/v1/events', payload: ndjson, headers: { 'content-type': 'application/x-ndjson' } })
    expect(lines.statusCode).toBe(202)
    expect(lines.json()).toEqual({ accepted: 2, rejected: [
      { index: 1, field: '(event)', rule: 'must be valid JSON', reason: 'bad_json' },
      { index: 2, field: 'userId', rule: 'required', reason: 'missing_field' },
    ] })

    const accepted = [single, a, b, c, d]
    const received = await readTopic(config, accepted.length)
    expect(received).toHaveLength(accepted.length)
    const byId = new Map(received.map((m) => [JSON.parse(m.value).eventId as string, m]))
    for (const e of accepted) {
      const m = byId.get(e.eventId as string)
      expect(m?.key).toBe(e.userId)
      expect(JSON.parse(m!.value).ts).toBe(typeof e.ts === 'string' ? Date.parse(e.ts) : e.ts)
    }
    expect(byId.get(single.eventId as string)?.value).toBe(encodeEvent({ ...single, ts: Date.parse('2024-06-01T08:00:00Z') } as never))
    for (const e of [unknown, bad, missing]) expect(byId.has(e.eventId as string)).toBe(false)
    expect(await topicSize(config)).toBe(accepted.length)

    const metrics = await registry.metrics()
    expect(metrics).toMatch(/playcount_ingest_accepted_total 5/)
    expect(metrics).toMatch(/playcount_ingest_rejected_total\{reason="unknown_song"\} 1/)
    expect(metrics).toMatch(/playcount_ingest_rejected_total\{reason="bad_json"\} 1/)
  })

  it('answers 413 naming the limit, and produces nothing', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const { app } = await collectorApp(config)
    const tooMany = await app.inject({ method: 'POST', url: '/v1/events', payload: Array.from({ length: 1001 }, () => event()) })
    expect(tooMany.statusCode).toBe(413)
    expect(tooMany.json()).toMatchObject({ error: 'PLAYCOUNT_PAYLOAD_TOO_LARGE', message: expect.stringContaining('1001 events in one request') })
    const big = await app.inject({ method: 'POST', url: '/v1/events', payload: [event(), event({ note: 'x'.repeat(MAX_EVENT_BYTES) })] })
    expect(big.statusCode).toBe(413)
    expect(big.json().message).toMatch(/event at index 1 is \d+ bytes.*16 KiB per event/)
    const bigLine = [JSON.stringify(event({ note: 'x'.repeat(MAX_EVENT_BYTES) }))].join('\n')
    const big2 = await app.inject({ method: 'POST', url: '/v1/events', payload: bigLine, headers: { 'content-type': 'application/x-ndjson' } })
    expect(big2.statusCode).toBe(413)
    const huge = Array.from({ length: 400 }, () => JSON.stringify(event({ note: 'x'.repeat(12_000) }))).join('\n')
    const body = await app.inject({ method: 'POST', url: '/v1/events', payload: huge, headers: { 'content-type': 'application/x-ndjson' } })
    expect(body.statusCode).toBe(413)
    expect(body.json()).toMatchObject({ error: 'PLAYCOUNT_PAYLOAD_TOO_LARGE', message: expect.stringContaining('request body over 4 MiB') })
    const empty = await app.inject({ method: 'POST', url: '/v1/events', payload: [] })
    expect(empty.statusCode).toBe(400)
    expect(await topicSize(config)).toBe(0)
  })

  it('answers 503 within the deadline while Kafka is unreachable, never 202', async () => {
    const config = testConfig({ KAFKA_BROKERS: '127.0.0.1:1' })
    const { app, collector, registry } = await collectorApp(config, { start: false, sendTimeoutMs: 800 })
    const t0 = Date.now()
    await expect(collector.start()).rejects.toMatchObject({ code: 'PLAYCOUNT_KAFKA_UNAVAILABLE' })
    expect(Date.now() - t0).toBeLessThan(3000)
    for (const payload of [event(), [event(), event({ type: 'nope' })]]) {
      const t1 = Date.now()
      const res = await app.inject({ method: 'POST', url: '/v1/events', payload })
      expect(res.statusCode).toBe(503)
      expect(res.json()).toMatchObject({ error: 'PLAYCOUNT_KAFKA_UNAVAILABLE' })
      expect(Date.now() - t1).toBeLessThan(3000)
    }
    // Validation does not need Kafka: an all-invalid request is still a 400.
    expect((await app.inject({ method: 'POST', url: '/v1/events', payload: event({ songId: 'so-404' }) })).statusCode).toBe(400)
    expect(await registry.metrics()).toMatch(/playcount_ingest_unavailable_total 2/)
  })

  it('documents the route with the one event schema', async () => {
    const config = testConfig()
    const { app } = await collectorApp(config, { start: false })
    await app.ready()
    const doc = (app as unknown as { swagger(): { paths: Record<string, Record<string, unknown>> } }).swagger()
    expect(JSON.stringify(doc.paths['/v1/events']?.post)).toContain('ListenEvent')
  })
})
