/**
 * Fan-out to speed instances over HTTP (RemoteRealtimeView): answers add up across instances, and an instance that
 * is down, slow or not ready — or a partition nobody covers — gives complete:false naming what is missing.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it, onTestFinished } from 'vitest'
import type { Catalog } from '../../shared/catalog/catalog.ts'
import { RemoteRealtimeView } from '../../shared/realtime-client.ts'
import type { RealtimeView } from '../../shared/realtime.ts'
import type { DailyReport } from '../../serving-layer/routes/daily.ts'
import { testConfig } from '../helpers.ts'
import { startTestServing } from './support/app.ts'
import { testCatalog } from './support/data.ts'
import { EventsRealtimeView, type ArrivedEvent } from './support/events-realtime-view.ts'
import { startSpeedServer } from './support/speed-server.ts'
import Fastify from 'fastify'
import { speedRoutes } from '../../speed-layer/routes.ts'
import { buildHttpApp } from '../../shared/http-app.ts'
import { tokenFor } from '../../shared/http-auth.ts'
import { createLogger } from '../../shared/logger.ts'
import { createRegistry } from '../../shared/telemetry.ts'

const DAY = '2026-03-15'
const NOW = Date.parse(`${DAY}T12:00:00Z`)
const at = (i: number, userId: string, partition: number): ArrivedEvent => ({
  event: { eventId: `e${i}`, ts: NOW - i * 1000, userId, songId: 's0-0', type: 'play', msPlayed: 1000 },
  arrivedAt: NOW - i * 500,
  partition,
})
const EVENTS = [at(1, 'u1', 0), at(2, 'u2', 1), at(3, 'u2', 1), at(4, 'u3', 2), at(5, 'u4', 3)]

function instance(catalog: Catalog, name: string, partitions: number[]): EventsRealtimeView {
  const v = new EventsRealtimeView(catalog, { name, partitions, now: () => NOW })
  v.ingest(EVENTS)
  return v
}

async function served(view: RealtimeView): Promise<string> {
  const s = await startSpeedServer(view)
  onTestFinished(() => s.close())
  return s.url
}

/** A real HTTP server that accepts requests and never answers. */
async function silentServer(): Promise<string> {
  const server = http.createServer(() => undefined)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  )
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

/** A port that was just free: nothing listens there. */
async function closedPort(): Promise<string> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}`
}

async function daily(views: RealtimeView[]): Promise<DailyReport> {
  const config = testConfig({ KAFKA_PARTITIONS: '4' })
  const catalog = testCatalog(1, 1)
  const { app } = await startTestServing(config, { catalog, realtime: views, now: () => NOW })
  const res = await app.inject({ url: `/v1/songs/s0-0/daily?from=${DAY}&to=${DAY}` })
  expect(res.statusCode).toBe(200)
  return res.json<DailyReport>()
}

describe('realtime fan-out over HTTP', () => {
  const catalog = testCatalog(1, 1)

  it('adds two instances up to the same numbers as one in-process view of every partition', async () => {
    const remote = [
      new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1])), 1000),
      new RemoteRealtimeView(await served(instance(catalog, 'b', [2, 3])), 1000),
    ]
    const fanned = await daily(remote)
    const local = await daily([instance(catalog, 'all', [0, 1, 2, 3])])
    expect(fanned.complete).toBe(true)
    expect(fanned.days).toEqual(local.days)
    expect(fanned.days[0]).toMatchObject({
      plays: 5,
      listeners: 4,
      listenersExact: true,
      msPlayed: 5000,
      source: 'realtime',
    })
  })

  it("speaks the speed layer's own SPEED_ROUTES plugin (its query validation included)", async () => {
    const app = Fastify()
    await app.register(speedRoutes(instance(catalog, 'real-routes', [0, 1, 2, 3])))
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => app.close())
    const view = new RemoteRealtimeView(url, 1000)
    onTestFinished(() => view.close())
    const r = await daily([view])
    expect(r.complete).toBe(true)
    expect(r.days[0]).toMatchObject({ plays: 5, listeners: 4 })
    expect((await view.trending({ kind: 'song', window: '1h', limit: 5 })).items).toEqual([{ id: 's0-0', plays: 5 }])
    expect((await view.status()).instance).toBe('real-routes')
  })

  it('sends INTERNAL_TOKEN to a speed instance that requires it; without it the instance is reported missing', async () => {
    const env = { KAFKA_PARTITIONS: '4', API_TOKEN: 'api-secret', INTERNAL_TOKEN: 'int-secret' }
    // The speed instance's app as the process builds it: the shared app with the speed routes, tokens enforced.
    const speedApp = await buildHttpApp(testConfig(env), {
      log: createLogger({ level: 'silent' }),
      registry: createRegistry(),
      readiness: () => ({ ready: true, details: {} }),
      plugins: [speedRoutes(instance(catalog, 'secured', [0, 1, 2, 3]))],
    })
    const url = await speedApp.listen({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => speedApp.close())
    const config = testConfig(env)
    const withToken = new RemoteRealtimeView(url, 1000, tokenFor(config, 'internal'))
    const without = new RemoteRealtimeView(url, 1000)
    const withApiToken = new RemoteRealtimeView(url, 1000, 'api-secret')
    onTestFinished(() => {
      for (const v of [withToken, without, withApiToken]) v.close()
    })
    expect((await withToken.status()).instance).toBe('secured')
    await expect(without.status()).rejects.toThrow(/answered HTTP 401: Missing or wrong bearer token/)
    await expect(withApiToken.status()).rejects.toThrow(/answered HTTP 401/)

    for (const [views, complete] of [
      [[withToken], true],
      [[without], false],
    ] as const) {
      const { app } = await startTestServing(config, { catalog, realtime: [...views], now: () => NOW })
      const res = await app.inject({
        url: `/v1/songs/s0-0/daily?from=${DAY}&to=${DAY}`,
        headers: { authorization: 'Bearer api-secret' },
      })
      expect(res.json<DailyReport>()).toMatchObject({ complete, days: [{ plays: complete ? 5 : 0 }] })
    }
  })

  it('is complete:false when an instance is down (closed port)', async () => {
    const down = await closedPort()
    const r = await daily([
      new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1])), 1000),
      new RemoteRealtimeView(down, 1000),
    ])
    expect(r.complete).toBe(false)
    expect(r.missing).toEqual({
      instances: [{ instance: down, reason: expect.stringContaining('ECONNREFUSED') }],
      partitions: [2, 3],
    })
    expect(r.days[0]).toMatchObject({ plays: 3 })
  })

  it('is complete:false when an instance answers ready:false', async () => {
    const rebuilding = instance(catalog, 'b', [2, 3])
    rebuilding.ready = false
    rebuilding.reason = 'rebuilding partition 2'
    const url = await served(rebuilding)
    const r = await daily([
      new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1])), 1000),
      new RemoteRealtimeView(url, 1000),
    ])
    expect(r.complete).toBe(false)
    expect(r.missing).toEqual({
      instances: [{ instance: url, reason: 'not ready: rebuilding partition 2' }],
      partitions: [2, 3],
    })
  })

  it('is complete:false when an instance does not answer in time', async () => {
    const slow = await silentServer()
    const t0 = Date.now()
    const r = await daily([
      new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1, 2, 3])), 1000),
      new RemoteRealtimeView(slow, 150),
    ])
    expect(Date.now() - t0).toBeLessThan(3000)
    expect(r.complete).toBe(false)
    expect(r.missing.instances).toEqual([
      { instance: slow, reason: `Realtime view cannot serve: ${slow}: timed out after 150 ms` },
    ])
    expect(r.missing.partitions).toEqual([])
  })

  it('is complete:false when an instance answers a day that is not a calendar date', async () => {
    // Days cross the wire as YYYY-MM-DD; 2026-02-30 must not be read as 2 March and added to the report.
    const app = Fastify()
    app.get('/internal/speed/daily', async () => ({
      ready: true,
      watermark: 0,
      partitions: [2, 3],
      days: { '2026-02-30': { plays: 7 } },
    }))
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => app.close())
    const r = await daily([
      new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1])), 1000),
      new RemoteRealtimeView(url, 1000),
    ])
    expect(r.complete).toBe(false)
    expect(r.missing.instances).toEqual([
      { instance: url, reason: expect.stringContaining('a key is not a date YYYY-MM-DD') },
    ])
    expect(r.days[0]).toMatchObject({ plays: 3 })
  })

  it('is complete:false when a breakdown or day answer is malformed (a bad date, a metric missing)', async () => {
    const app = Fastify()
    const envelope = { ready: true, watermark: 0, partitions: [2, 3] }
    const values = { plays: 7, completes: 0, skips: 0, likes: 0, dislikes: 0, msPlayed: 0, listeners: 1 }
    app.get('/internal/speed/breakdown', async () => ({ ...envelope, rows: [['2026-02-30', 'SE', values]] }))
    app.get('/internal/speed/day-all', async () => ({ ...envelope, rows: [['s0-0', { plays: 7 }]] }))
    const url = await app.listen({ host: '127.0.0.1', port: 0 })
    onTestFinished(() => app.close())
    const config = testConfig({ KAFKA_PARTITIONS: '4' })
    const good = new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1])), 1000)
    const bad = new RemoteRealtimeView(url, 1000)
    onTestFinished(() => {
      good.close()
      bad.close()
    })
    const { app: serving } = await startTestServing(config, { catalog, realtime: [good, bad], now: () => NOW })
    const breakdown = (
      await serving.inject({ url: `/v1/songs/s0-0/breakdown?by=country&from=${DAY}&to=${DAY}` })
    ).json()
    expect(breakdown).toMatchObject({ complete: false, values: [{ value: 'unknown', plays: 3 }] })
    expect(breakdown.missing.instances).toEqual([
      { instance: url, reason: expect.stringContaining('a day is not a date YYYY-MM-DD') },
    ])
    const chart = (await serving.inject({ url: `/v1/charts/daily?date=${DAY}` })).json()
    expect(chart).toMatchObject({ complete: false, entries: [{ id: 's0-0', plays: 3 }] })
    expect(chart.missing.instances).toEqual([
      {
        instance: url,
        reason: expect.stringMatching(/malformed body \(\/rows\/0\/1\/completes Expected required property\)/),
      },
    ])
  })

  it('is complete:false when the answers do not cover every partition, or cover one twice', async () => {
    const gap = await daily([instance(catalog, 'a', [0, 1]), instance(catalog, 'b', [3])])
    expect(gap).toMatchObject({ complete: false, missing: { instances: [], partitions: [2] } })
    const twice = await daily([instance(catalog, 'a', [0, 1, 2]), instance(catalog, 'b', [2, 3])])
    expect(twice.complete).toBe(false)
    expect(twice.missing.instances).toEqual([
      { instance: 'b', reason: expect.stringContaining('partitions 2 also answered') },
    ])
    // The refused answer's partitions are reported missing rather than double counted.
    expect(twice.missing.partitions).toEqual([3])
  })

  it('reports a down instance in /v1/status and trending', async () => {
    const down = await closedPort()
    const config = testConfig({ KAFKA_PARTITIONS: '4' })
    const up = new RemoteRealtimeView(await served(instance(catalog, 'a', [0, 1, 2, 3])), 1000)
    const { app } = await startTestServing(config, {
      catalog,
      realtime: [up, new RemoteRealtimeView(down, 500)],
      now: () => NOW,
    })
    const status = (await app.inject({ url: '/v1/status' })).json()
    expect(status.complete).toBe(false)
    expect(status.speed).toEqual([
      expect.objectContaining({ instance: 'a', ok: true, ready: true, lag: 0 }),
      expect.objectContaining({
        instance: down,
        ok: false,
        ready: false,
        error: expect.stringContaining('ECONNREFUSED'),
      }),
    ])
    const trending = (await app.inject({ url: '/v1/trending?window=1h' })).json()
    expect(trending).toMatchObject({ complete: false, items: [{ id: 's0-0', plays: 5 }] })
  })
})
