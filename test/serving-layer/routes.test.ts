/**
 * The report routes' contract without a batch run: validation (400 naming the parameter and the rule), 404, the
 * bearer token, the default range, search, trending with names, and the OpenAPI document.
 */
import { describe, expect, it } from 'vitest'
import { DAY_MS, dayOf } from '../../shared/layout.ts'
import type { DailyReport } from '../../serving-layer/routes/daily.ts'
import { testConfig } from '../helpers.ts'
import { startTestServing } from './support/app.ts'
import { testCatalog } from './support/data.ts'
import { EventsRealtimeView } from './support/events-realtime-view.ts'

const NOW = Date.UTC(2026, 2, 15, 12)

async function setup(env: Record<string, string> = {}) {
  const config = testConfig({ KAFKA_PARTITIONS: '2', ...env })
  const catalog = testCatalog()
  const speed = new EventsRealtimeView(catalog, { name: 'speed', partitions: [0, 1], now: () => NOW })
  speed.ingest([
    {
      event: { eventId: 'e1', ts: NOW - 1000, userId: 'u1', songId: 's0-1', type: 'play' },
      arrivedAt: NOW - 500,
      partition: 0,
    },
    {
      event: { eventId: 'e2', ts: NOW - 2000, userId: 'u2', songId: 's0-1', type: 'play' },
      arrivedAt: NOW - 900,
      partition: 1,
    },
    {
      event: { eventId: 'e3', ts: NOW - 3000, userId: 'u2', songId: 's1-0', type: 'play' },
      arrivedAt: NOW - 900,
      partition: 1,
    },
  ])
  return { ...(await startTestServing(config, { catalog, realtime: [speed], now: () => NOW })), speed }
}

describe('report routes', () => {
  it('answers the last 30 days by default, every day present, with names from the catalog', async () => {
    const { app } = await setup()
    const res = await app.inject({ url: '/v1/artists/a0/daily' })
    expect(res.statusCode).toBe(200)
    const r = res.json<DailyReport>()
    expect(r).toMatchObject({
      kind: 'artist',
      id: 'a0',
      name: 'Artist 0 Nova',
      from: dayOf(NOW - 29 * DAY_MS),
      to: dayOf(NOW),
      watermark: 0,
      complete: true,
    })
    expect(r.days).toHaveLength(30)
    expect(r.days.at(-1)).toMatchObject({
      date: dayOf(NOW),
      plays: 2,
      listeners: 2,
      listenersExact: true,
      source: 'realtime',
    })
    expect(r.totals).toMatchObject({ plays: 2, listeners: 2, listenersExact: true })
  })

  it.each([
    ['/v1/songs/s0-1/daily?from=2026-3-01', 'from (querystring) must match pattern'],
    ['/v1/songs/s0-1/daily?from=2026-02-30&to=2026-03-01', 'from (querystring) must be a calendar date YYYY-MM-DD'],
    ['/v1/songs/s0-1/daily?from=2026-03-10&to=2026-03-01', 'from (querystring) must be on or before to'],
    [
      '/v1/songs/s0-1/daily?from=2025-01-01&to=2026-03-01',
      'from..to (querystring) must span at most 366 days (asked 425)',
    ],
    ['/v1/songs/s0-1/daily?format=xml', 'format (querystring) must be one of json, csv'],
    ['/v1/trending?window=2h', 'window (querystring) must be one of 5m, 1h, 24h'],
    ['/v1/trending?limit=0', 'limit (querystring) must be >= 1'],
    ['/v1/search', 'q (querystring) is required'],
  ])('400 for %s', async (url, message) => {
    const { app } = await setup()
    const res = await app.inject({ url })
    expect(res.statusCode).toBe(400)
    expect(res.json()).toEqual({ error: 'PLAYCOUNT_BAD_REQUEST', message: expect.stringContaining(message) })
  })

  it('accepts a range of exactly 366 days', async () => {
    const { app } = await setup()
    const res = await app.inject({ url: '/v1/songs/s0-1/daily?from=2024-01-01&to=2024-12-31' })
    expect(res.statusCode).toBe(200)
    expect(res.json<DailyReport>().days).toHaveLength(366)
  })

  it('404 for an unknown song or artist', async () => {
    const { app } = await setup()
    for (const url of ['/v1/songs/nope/daily', '/v1/artists/nope/daily']) {
      const res = await app.inject({ url })
      expect(res.statusCode).toBe(404)
      expect(res.json()).toEqual({
        error: 'PLAYCOUNT_NOT_FOUND',
        message: expect.stringMatching(/^(Song|Artist) not found: nope$/),
      })
    }
  })

  it('401 on /v1/* without the bearer token when API_TOKEN is set; health and docs stay open', async () => {
    const { app } = await setup({ API_TOKEN: 's3cret' })
    for (const auth of [undefined, 'Bearer wrong', 's3cret']) {
      const res = await app.inject({ url: '/v1/status', headers: auth ? { authorization: auth } : {} })
      expect(res.statusCode).toBe(401)
      expect(res.json()).toEqual({ error: 'PLAYCOUNT_UNAUTHORIZED', message: 'Missing or wrong bearer token' })
    }
    expect((await app.inject({ url: '/v1/status', headers: { authorization: 'Bearer s3cret' } })).statusCode).toBe(200)
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200)
    expect((await app.inject({ url: '/docs/json' })).statusCode).toBe(200)
  })

  it('CSV carries the same days and numbers as JSON', async () => {
    const { app } = await setup()
    const json = (await app.inject({ url: '/v1/songs/s0-1/daily?from=2026-03-10&to=2026-03-15' })).json<DailyReport>()
    const res = await app.inject({ url: '/v1/songs/s0-1/daily?from=2026-03-10&to=2026-03-15&format=csv' })
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    expect(res.headers['x-playcount-complete']).toBe('true')
    const [header, ...rows] = res.body.trim().split('\n')
    const cols = header!.split(',')
    expect(cols).toEqual([
      'date',
      'plays',
      'completes',
      'skips',
      'likes',
      'dislikes',
      'msPlayed',
      'listeners',
      'listenersExact',
      'source',
    ])
    const parsed = rows.map((line) =>
      Object.fromEntries(
        line
          .split(',')
          .map((v, i) => [cols[i]!, /^\d+$/.test(v) ? Number(v) : v === 'true' ? true : v === 'false' ? false : v]),
      ),
    )
    expect(parsed).toEqual(json.days)
    expect(parsed.at(-1)).toMatchObject({ plays: 2 })
  })

  it('searches the catalog and joins names into trending', async () => {
    const { app } = await setup()
    const search = (await app.inject({ url: '/v1/search?q=nova' })).json()
    expect(search.results[0]).toMatchObject({ kind: 'artist', id: 'a0', name: 'Artist 0 Nova' })
    const trending = (await app.inject({ url: '/v1/trending?window=5m&limit=5' })).json()
    expect(trending).toMatchObject({ window: '5m', kind: 'song', complete: true })
    expect(trending.items).toEqual([
      { rank: 1, id: 's0-1', name: 'Song 1 of 0', artistId: 'a0', artistName: 'Artist 0 Nova', plays: 2 },
      { rank: 2, id: 's1-0', name: 'Song 0 of 1', artistId: 'a1', artistName: 'Artist 1 Echo', plays: 1 },
    ])
    const artists = (await app.inject({ url: '/v1/trending?window=1h&kind=artist' })).json()
    expect(artists.items.map((i: { id: string; name: string }) => [i.id, i.name])).toEqual([
      ['a0', 'Artist 0 Nova'],
      ['a1', 'Artist 1 Echo'],
    ])
  })

  it('reports status, readiness and metrics', async () => {
    const { app } = await setup()
    const status = (await app.inject({ url: '/v1/status' })).json()
    expect(status).toMatchObject({ watermark: 0, lastBatchRun: null, complete: true, lag: 0, views: { loaded: true } })
    expect(status.speed).toEqual([expect.objectContaining({ instance: 'speed', ok: true, ready: true })])
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
    const metrics = await app.inject({ url: '/metrics' })
    expect(metrics.body).toContain('playcount_http_request_duration_seconds_bucket')
  })

  it('publishes the routes and the event schema in OpenAPI at /docs/json', async () => {
    const { app } = await setup()
    const doc = (await app.inject({ url: '/docs/json' })).json()
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/songs/{id}/daily',
        '/v1/artists/{id}/daily',
        '/v1/search',
        '/v1/trending',
        '/v1/status',
      ]),
    )
    expect(doc.components.schemas.ListenEvent.required).toEqual(
      expect.arrayContaining(['eventId', 'ts', 'userId', 'songId', 'type']),
    )
    expect(doc.paths['/v1/songs/{id}/daily'].get.description).toContain('listenersExact false')
    expect((await app.inject({ url: '/docs' })).statusCode).toBeLessThan(400)
  })

  it('documents CSV beside JSON, and parameters with a default as optional', async () => {
    const { app } = await setup()
    const doc = (await app.inject({ url: '/docs/json' })).json()
    const daily = doc.paths['/v1/songs/{id}/daily'].get
    expect(Object.keys(daily.responses['200'].content)).toEqual(['application/json', 'text/csv'])
    const required = (op: { parameters: Array<{ name: string; required?: boolean }> }) =>
      op.parameters.filter((p) => p.required).map((p) => p.name)
    expect(required(daily)).toEqual(['id'])
    expect(required(doc.paths['/v1/trending'].get)).toEqual([])
    expect(required(doc.paths['/v1/search'].get)).toEqual(['q'])
  })

  it('refuses an unknown parameter and a too long id with a 400 naming them, in the one error format', async () => {
    const { app } = await setup()
    expect((await app.inject({ url: '/v1/search?q=nova&bogus=1' })).json()).toEqual({
      error: 'PLAYCOUNT_BAD_REQUEST',
      message: 'Bad request: bogus (querystring) is not a known parameter',
    })
    const long = await app.inject({ url: `/v1/songs/${'x'.repeat(65)}/daily` })
    expect(long.statusCode).toBe(400)
    expect(long.json().message).toMatch(/^Bad request: id \(params\) must NOT have more than 64 characters/)
    // Past the router's limit: still a 400 in the one format, not Fastify's raw 414.
    const huge = await app.inject({ url: `/v1/songs/${'x'.repeat(1100)}/daily` })
    expect(huge.statusCode).toBe(400)
    expect(huge.json()).toEqual({
      error: 'PLAYCOUNT_BAD_REQUEST',
      message: 'Bad request: a path parameter is over 1024 characters (URL-encoded)',
    })
  })

  it('answers 405 with Allow for a method a report route does not take, before reading a body', async () => {
    const { app } = await setup()
    const res = await app.inject({
      method: 'PUT',
      url: '/v1/status',
      payload: 'x',
      headers: { 'content-type': 'application/octet-stream' },
    })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD')
    expect(res.json()).toMatchObject({ error: 'PLAYCOUNT_METHOD_NOT_ALLOWED' })
  })
})
