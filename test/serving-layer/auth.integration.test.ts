/**
 * Every route of the whole process (all roles wired by cli/pipeline.ts) behind the tokens: each operation of the
 * OpenAPI document, the speed instances' /internal/speed/* routes, /metrics and an unknown path answer 401 with
 * WWW-Authenticate without a token; only /healthz, /readyz, /docs and the dashboard's static files stay open.
 */
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline, ROLES } from '../../cli/pipeline.ts'
import { createLogger } from '../../shared/logger.ts'
import { SPEED_ROUTES } from '../../shared/realtime.ts'
import { cleanupTopics, testConfig } from '../helpers.ts'
import { writeDefaultCatalog } from './support/catalog.ts'

const API = 'api-secret'
const INTERNAL = 'int-secret'

describe('the tokens over every route of the process', () => {
  it('401 without a token on every route but health, docs and the dashboard files', async () => {
    // Three refused keys per route from one address, on purpose: above the failure limit (access-lifecycle tests it).
    const config = testConfig({
      KAFKA_PARTITIONS: '1',
      API_TOKEN: API,
      INTERNAL_TOKEN: INTERNAL,
      AUTH_FAILURES_MAX: '1000',
    })
    cleanupTopics(config)
    await writeDefaultCatalog(config)
    // Built, not started: the routes exist without consuming or scheduling anything.
    const pipeline = await buildPipeline(config, ROLES, createLogger({ level: 'silent' }))
    onTestFinished(() => pipeline.stop())
    const { app } = pipeline

    const doc = (await app.inject({ url: '/docs/json' })).json<{
      paths: Record<string, Record<string, { security?: unknown }>>
    }>()
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => {
        expect(op.security, `${method} ${path}`).toEqual([{ bearer: [] }])
        return {
          method: method.toUpperCase() as 'GET' | 'POST' | 'DELETE',
          url: path.replace(/\{[^}]+\}/g, 's0-0'),
          token: API,
        }
      }),
    )
    expect(documented.map((r) => `${r.method} ${r.url}`)).toEqual(
      expect.arrayContaining([
        'GET /v1/songs/s0-0/daily',
        'GET /v1/artists/s0-0/daily',
        'GET /v1/search',
        'GET /v1/trending',
        'GET /v1/status',
        'POST /v1/events',
      ]),
    )
    const internal = [...Object.values(SPEED_ROUTES), '/metrics'].map((url) => ({
      method: 'GET' as const,
      url,
      token: INTERNAL,
    }))
    for (const r of [...documented, ...internal, { method: 'GET' as const, url: '/no/such/route', token: API }]) {
      for (const authorization of [undefined, `Bearer wrong`, `Bearer ${r.token === API ? INTERNAL : API}`]) {
        const res = await app.inject({ method: r.method, url: r.url, headers: authorization ? { authorization } : {} })
        expect(res.statusCode, `${r.method} ${r.url} with ${String(authorization)}`).toBe(401)
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="playcount"/)
        expect(res.json()).toMatchObject({ error: 'PLAYCOUNT_UNAUTHORIZED' })
      }
      const res = await app.inject({ method: r.method, url: r.url, headers: { authorization: `bearer ${r.token}` } })
      expect(res.statusCode, `${r.method} ${r.url} with its token`).not.toBe(401)
    }
    for (const url of [
      '/healthz',
      '/readyz',
      '/docs',
      '/docs/json',
      '/',
      '/app.js',
      '/vendor/uplot/uPlot.iife.min.js',
    ]) {
      expect((await app.inject({ url })).statusCode, url).not.toBe(401)
    }
  })

  it('a serve process fans out to a speed process that requires INTERNAL_TOKEN, and documents NDJSON', async () => {
    const env = { PORT: '0', KAFKA_PARTITIONS: '1', API_TOKEN: API, INTERNAL_TOKEN: INTERNAL }
    const speedConfig = testConfig(env)
    cleanupTopics(speedConfig)
    await writeDefaultCatalog(speedConfig)
    const log = createLogger({ level: 'silent' })
    const speed = await buildPipeline(speedConfig, ['speed'], log)
    const speedUrl = await speed.start()
    onTestFinished(() => speed.stop())
    // The same topic and lake, with SPEED_URLS naming the speed process, as `playcount start serve` would have.
    const serve = await buildPipeline(
      { ...speedConfig, speed: { ...speedConfig.speed, urls: [speedUrl] } },
      ['serve', 'ingest'],
      log,
    )
    onTestFinished(() => serve.stop())
    const status = await serve.app.inject({ url: '/v1/status', headers: { authorization: `Bearer ${API}` } })
    expect(status.json().speed).toEqual([
      expect.objectContaining({ ok: true, partitions: [expect.objectContaining({ partition: 0 })] }),
    ])
    expect((await fetch(`${speedUrl}${SPEED_ROUTES.status}`)).status).toBe(401)

    const doc = (await serve.app.inject({ url: '/docs/json' })).json()
    expect(Object.keys(doc.paths['/v1/events'].post.requestBody.content)).toEqual([
      'application/json',
      'application/x-ndjson',
    ])
  })
})
