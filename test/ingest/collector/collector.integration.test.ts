import type { FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildCollector } from '../../../ingest/collector/index.ts'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import type { Config } from '../../../shared/config.ts'
import { encodeEvent, MAX_EVENT_BYTES } from '../../../shared/event.ts'
import { buildHttpApp } from '../../../shared/http-app.ts'
import { createLogger } from '../../../shared/logger.ts'
import { cleanupTopics, testConfig } from '../../helpers.ts'
import { readTopic, topicSize } from '../../support/kafka-read.ts'

const catalog = new Catalog(
  [{ artistId: 'ar-1', name: 'Nina Vale', genre: 'pop', country: 'GB' }],
  [
    { songId: 'so-1', artistId: 'ar-1', title: 'Glass Rivers', genre: 'pop', durationMs: 200_000, popularityRank: 1 },
    { songId: 'so-2', artistId: 'ar-1', title: 'Low Tide', genre: 'pop', durationMs: 180_000, popularityRank: 2 },
  ],
)
const log = createLogger({ level: 'silent' })
let n = 0
function event(patch: Record<string, unknown> = {}): Record<string, unknown> {
  n++
  return {
    eventId: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    ts: Date.now() - 60_000,
    userId: `user-${n % 3}`,
    songId: 'so-1',
    type: 'play',
    ...patch,
  }
}

async function collectorApp(config: Readonly<Config>, opts: { start?: boolean; sendTimeoutMs?: number } = {}) {
  const registry = new Registry()
  const collector = buildCollector(config, { catalog, log, registry, sendTimeoutMs: opts.sendTimeoutMs ?? 5000 })
  onTestFinished(() => collector.stop())
  if (opts.start !== false) await collector.start()
  const app = await buildHttpApp(config, {
    log,
    registry,
    plugins: [collector.routes],
    readiness: () => ({ ready: true, details: {} }),
  })
  onTestFinished(() => app.close())
  return { app, collector, registry }
}

const DEEP_RULE = 'must nest at most 64 levels (an event is a flat object)'
const PROTO_RULE = 'is a reserved key: __proto__ and constructor are refused at any level of an event'
const json = (e: Record<string, unknown>): string => JSON.stringify(e)

/** A raw body: a JSON string written here, so keys such as __proto__ reach the server as sent. */
function post(app: FastifyInstance, payload: string, type = 'application/json') {
  return app.inject({ method: 'POST', url: '/v1/events', payload, headers: { 'content-type': type } })
}

async function startedCollector() {
  const config = testConfig()
  cleanupTopics(config)
  return { ...(await collectorApp(config)), config }
}

/** Exactly these events are on the topic. */
async function expectOnTopic(config: Readonly<Config>, events: Array<Record<string, unknown>>): Promise<void> {
  const received = await readTopic(config, events.length)
  expect(received.map((m) => JSON.parse(m.value).eventId as string).sort()).toEqual(
    events.map((e) => e.eventId as string).sort(),
  )
  expect(await topicSize(config)).toBe(events.length)
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
      error: 'PLAYCOUNT_EVENT_INVALID',
      accepted: 0,
      rejected: [{ index: 0, field: 'songId', rule: 'must exist in the catalog', reason: 'unknown_song' }],
    })

    const [a, bad, b] = [event(), event({ type: 'stop' }), event({ type: 'skip', msPlayed: 5000 })]
    const batch = await app.inject({ method: 'POST', url: '/v1/events', payload: [a, bad, b] })
    expect(batch.statusCode).toBe(202)
    expect(batch.json()).toEqual({
      accepted: 2,
      rejected: [{ index: 1, field: 'type', reason: 'invalid_field', rule: expect.stringContaining('one of play') }],
    })

    const [c, d] = [event({ songId: 'so-2' }), event({ type: 'like' })]
    const missing = event()
    delete missing.userId
    const ndjson = [JSON.stringify(c), '{"eventId":', '', JSON.stringify(missing), JSON.stringify(d)].join('\n') + '\n'
    const lines = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: ndjson,
      headers: { 'content-type': 'application/x-ndjson' },
    })
    expect(lines.statusCode).toBe(202)
    expect(lines.json()).toEqual({
      accepted: 2,
      rejected: [
        { index: 1, field: '(event)', rule: 'must be valid JSON', reason: 'bad_json' },
        { index: 2, field: 'userId', rule: 'required', reason: 'missing_field' },
      ],
    })

    const accepted = [single, a, b, c, d]
    const received = await readTopic(config, accepted.length)
    expect(received).toHaveLength(accepted.length)
    const byId = new Map(received.map((m) => [JSON.parse(m.value).eventId as string, m]))
    for (const e of accepted) {
      const m = byId.get(e.eventId as string)
      expect(m?.key).toBe(e.userId)
      expect(JSON.parse(m!.value).ts).toBe(typeof e.ts === 'string' ? Date.parse(e.ts) : e.ts)
    }
    expect(byId.get(single.eventId as string)?.value).toBe(
      encodeEvent({ ...single, ts: Date.parse('2024-06-01T08:00:00Z') } as never),
    )
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
    const tooMany = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: Array.from({ length: 1001 }, () => event()),
    })
    expect(tooMany.statusCode).toBe(413)
    expect(tooMany.json()).toMatchObject({
      error: 'PLAYCOUNT_PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('1001 events in one request'),
    })
    const big = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: [event(), event({ note: 'x'.repeat(MAX_EVENT_BYTES) })],
    })
    expect(big.statusCode).toBe(413)
    expect(big.json().message).toMatch(/event at index 1 is \d+ bytes.*16 KiB per event/)
    const bigLine = [JSON.stringify(event({ note: 'x'.repeat(MAX_EVENT_BYTES) }))].join('\n')
    const big2 = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: bigLine,
      headers: { 'content-type': 'application/x-ndjson' },
    })
    expect(big2.statusCode).toBe(413)
    const huge = Array.from({ length: 400 }, () => JSON.stringify(event({ note: 'x'.repeat(12_000) }))).join('\n')
    const body = await app.inject({
      method: 'POST',
      url: '/v1/events',
      payload: huge,
      headers: { 'content-type': 'application/x-ndjson' },
    })
    expect(body.statusCode).toBe(413)
    expect(body.json()).toMatchObject({
      error: 'PLAYCOUNT_PAYLOAD_TOO_LARGE',
      message: expect.stringContaining('request body over 4 MiB'),
    })
    const empty = await app.inject({ method: 'POST', url: '/v1/events', payload: [] })
    expect(empty.statusCode).toBe(400)
    expect(await topicSize(config)).toBe(0)
  })

  it('refuses only the item nested 8,500 levels deep (JSON.stringify overflowed: 500 for all), naming the limit', async () => {
    const { app, config } = await startedCollector()
    const [a, b] = [event(), event()]
    const deep = await post(app, `[${json(a)},${'['.repeat(8500)}${']'.repeat(8500)},${json(b)}]`)
    expect(deep.statusCode).toBe(202)
    expect(deep.json()).toEqual({
      accepted: 2,
      rejected: [{ index: 1, field: '(event)', rule: DEEP_RULE, reason: 'too_deep' }],
    })
    const deepOne = await post(
      app,
      json(event()).replace(/}$/, `,"extra":${'{"x":'.repeat(8500)}1${'}'.repeat(8500)}}`),
    )
    expect(deepOne.statusCode).toBe(400)
    expect(deepOne.json()).toMatchObject({
      error: 'PLAYCOUNT_EVENT_INVALID',
      message: expect.stringContaining(DEEP_RULE),
      rejected: [{ index: 0, reason: 'too_deep' }],
    })
    await expectOnTopic(config, [a, b])
  })

  it('refuses only the item with a __proto__ or constructor key (Fastify refused the whole body)', async () => {
    const { app, config } = await startedCollector()
    const [c, p, k, d, q] = [event(), event(), event(), event(), event()]
    const proto = await post(
      app,
      `[${json(c)},${json(p).replace('{', '{"__proto__":{"admin":true},')},${json(k).replace(/}$/, ',"meta":[{"constructor":1}]}')},${json(d)}]`,
    )
    expect(proto.statusCode).toBe(202)
    expect(proto.json()).toEqual({
      accepted: 2,
      rejected: [
        { index: 1, field: '__proto__', rule: PROTO_RULE, reason: 'invalid_field' },
        { index: 2, field: 'constructor', rule: PROTO_RULE, reason: 'invalid_field' },
      ],
    })
    const protoLine = await post(
      app,
      [json(event()).replace('{', '{"__proto__":1,'), json(q)].join('\n'),
      'application/x-ndjson',
    )
    expect(protoLine.json()).toEqual({
      accepted: 1,
      rejected: [{ index: 0, field: '__proto__', rule: PROTO_RULE, reason: 'invalid_field' }],
    })
    const protoOne = await post(app, json(event()).replace('{', '{"constructor":{},'))
    expect(protoOne.statusCode).toBe(400)
    expect(protoOne.json()).toMatchObject({ message: expect.stringContaining(`index 0 constructor ${PROTO_RULE}`) })
    await expectOnTopic(config, [c, d, q])
  })

  it('refuses eventIds with a lone surrogate (two such ids were both accepted, then counted once)', async () => {
    const { app, config } = await startedCollector()
    const [e, s1, s2] = [event(), event(), event()]
    const withId = (x: Record<string, unknown>, id: string): string =>
      json(x).replace(/"eventId":"[^"]+"/, `"eventId":"${id}"`)
    const res = await post(app, `[${json(e)},${withId(s1, 'id-\\ud800')},${withId(s2, 'id-\\udbff')}]`)
    expect(res.statusCode).toBe(202)
    expect(res.json()).toEqual({
      accepted: 1,
      rejected: [1, 2].map((index) => ({
        index,
        field: 'eventId',
        rule: 'must be well-formed Unicode (no lone surrogate such as \\ud800)',
        reason: 'invalid_field',
      })),
    })
    await expectOnTopic(config, [e])
  })

  it('takes its media types case-insensitively and with parameters', async () => {
    const { app, config } = await startedCollector()
    const sent = [event(), event(), event(), event()]
    for (const [i, type] of [
      'Application/X-NDJSON',
      'application/x-ndjson; charset=utf-8',
      'APPLICATION/JSON',
      'application/json; charset=UTF-8',
    ].entries()) {
      const res = await post(app, json(sent[i]!), type)
      expect({ type, status: res.statusCode, body: res.json() }).toEqual({
        type,
        status: 202,
        body: { accepted: 1, rejected: [] },
      })
    }
    await expectOnTopic(config, sent)
  })

  it('answers 415 naming the media types it takes, and 400 for a body that is not JSON', async () => {
    const config = testConfig()
    const { app } = await collectorApp(config, { start: false })
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const res = await post(app, json(event()), type)
      expect(res.statusCode).toBe(415)
      expect(res.json()).toEqual({
        error: 'PLAYCOUNT_UNSUPPORTED_MEDIA_TYPE',
        message: `Unsupported media type: ${type} (POST /v1/events takes application/json or application/x-ndjson)`,
      })
    }
    const notJson = await post(app, '[{"eventId":')
    expect(notJson.statusCode).toBe(400)
    expect(notJson.json()).toMatchObject({
      error: 'PLAYCOUNT_BAD_REQUEST',
      message: expect.stringContaining('the body is not valid JSON'),
    })
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
      // Said once: the deadline's own error is passed on, not wrapped in a second one.
      expect((res.json() as { message: string }).message.match(/Kafka cannot take the events/g)).toHaveLength(1)
      expect(Date.now() - t1).toBeLessThan(3000)
    }
    // Validation does not need Kafka: an all-invalid request is still a 400.
    expect(
      (await app.inject({ method: 'POST', url: '/v1/events', payload: event({ songId: 'so-404' }) })).statusCode,
    ).toBe(400)
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
