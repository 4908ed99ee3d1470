import type { FastifyPluginAsync } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadConfig } from '../../shared/config.ts'
import { Errors } from '../../shared/errors.ts'
import { buildHttpApp } from '../../shared/http-app.ts'
import { createLogger } from '../../shared/logger.ts'
import { createRegistry } from '../../shared/telemetry.ts'

const plugin: FastifyPluginAsync = async (app) => {
  app.get('/lake', async () => {
    throw new Errors.LAKE_IO('get views/manifest.json')
  })
  app.get('/bug', async () => {
    throw new TypeError('undefined is not a function')
  })
  app.get<{ Querystring: { n: number } }>(
    '/n',
    {
      schema: { querystring: { type: 'object', properties: { n: { type: 'integer', minimum: 1 } }, required: ['n'] } },
    },
    async (req) => ({ n: req.query.n }),
  )
  app.post('/echo', { schema: { body: { $ref: 'ListenEvent#' } } }, async (req) => req.body)
}

async function build(env: Record<string, string> = {}, ready = true) {
  const state = { ready }
  const app = await buildHttpApp(loadConfig({ LOG_LEVEL: 'silent', ...env }), {
    log: createLogger({ level: 'silent' }),
    registry: createRegistry(),
    plugins: [plugin],
    readiness: () => ({ ready: state.ready, details: { role: 'test' } }),
  })
  onTestFinished(() => app.close())
  return { app, state }
}

describe('buildHttpApp', () => {
  it('maps registry errors, validation errors and bugs to { error, message }', async () => {
    const { app } = await build()
    expect((await app.inject({ url: '/lake' })).json()).toEqual({
      error: 'PLAYCOUNT_LAKE_IO',
      message: 'Lake read or write failed: get views/manifest.json',
    })
    expect((await app.inject({ url: '/lake' })).statusCode).toBe(503)
    const bug = await app.inject({ url: '/bug' })
    expect(bug.statusCode).toBe(500)
    expect(bug.json()).toEqual({ error: 'PLAYCOUNT_INTERNAL', message: 'Internal error: TypeError' })
    expect((await app.inject({ url: '/n?n=0' })).json()).toEqual({
      error: 'PLAYCOUNT_BAD_REQUEST',
      message: 'Bad request: n (querystring) must be >= 1',
    })
    expect((await app.inject({ url: '/n' })).json()).toEqual({
      error: 'PLAYCOUNT_BAD_REQUEST',
      message: 'Bad request: n (querystring) is required',
    })
    const body = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: { eventId: 'x', ts: 1, userId: 'u', songId: 's', type: 'jump' },
    })
    expect(body.json()).toEqual({
      error: 'PLAYCOUNT_BAD_REQUEST',
      message: expect.stringMatching(/^Bad request: type \(body\) must/),
    })
    expect((await app.inject({ url: '/nowhere' })).json()).toEqual({
      error: 'PLAYCOUNT_NOT_FOUND',
      message: 'Route not found: GET /nowhere',
    })
  })

  it('keeps the status of a framework 4xx: 415 for an unsupported media type, 413 over the body limit', async () => {
    const { app } = await build()
    const xml = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: '<event/>',
      headers: { 'content-type': 'application/xml' },
    })
    expect(xml.statusCode).toBe(415)
    expect(xml.json()).toMatchObject({ error: 'PLAYCOUNT_UNSUPPORTED_MEDIA_TYPE' })
    const big = await app.inject({
      method: 'POST',
      url: '/echo',
      payload: JSON.stringify({ pad: 'x'.repeat(1024 * 1024) }),
      headers: { 'content-type': 'application/json' },
    })
    expect(big.statusCode).toBe(413)
    expect(big.json()).toMatchObject({ error: 'PLAYCOUNT_PAYLOAD_TOO_LARGE' })
  })

  it('answers /healthz always and /readyz 503 until ready', async () => {
    const { app, state } = await build({}, false)
    expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200)
    const notReady = await app.inject({ url: '/readyz' })
    expect(notReady.statusCode).toBe(503)
    expect(notReady.json()).toEqual({ ready: false, details: { role: 'test' } })
    state.ready = true
    expect((await app.inject({ url: '/readyz' })).statusCode).toBe(200)
  })

  it('serves Prometheus metrics and the OpenAPI document with the event schema', async () => {
    const { app } = await build()
    await app.inject({ url: '/n?n=2' })
    const metrics = await app.inject({ url: '/metrics' })
    expect(metrics.headers['content-type']).toContain('text/plain')
    expect(metrics.body).toMatch(
      /playcount_http_request_duration_seconds_count\{method="GET",route="\/n",status="200"\} 1/,
    )
    const doc = (await app.inject({ url: '/docs/json' })).json()
    expect(doc.openapi).toMatch(/^3\./)
    expect(doc.components.schemas.ListenEvent.properties.type.anyOf).toBeDefined()
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/lake', '/n', '/echo']))
  })

  it('sends CORS headers only when CORS_ORIGIN is set', async () => {
    const off = await build()
    expect(
      (await off.app.inject({ url: '/healthz', headers: { origin: 'http://x.test' } })).headers[
        'access-control-allow-origin'
      ],
    ).toBeUndefined()
    const on = await build({ CORS_ORIGIN: 'http://x.test' })
    expect(
      (await on.app.inject({ url: '/healthz', headers: { origin: 'http://x.test' } })).headers[
        'access-control-allow-origin'
      ],
    ).toBe('http://x.test')
  })
})
