/**
 * The bearer tokens of the shared HTTP app (shared/http-auth.ts): a route a plugin adds is secured without saying
 * so; the scheme is case-insensitive; a 401 carries WWW-Authenticate; internal routes take INTERNAL_TOKEN (or
 * API_TOKEN when it is unset); health stays open; a CORS preflight passes; the OpenAPI document marks what is secured.
 */
import type { FastifyPluginAsync } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadConfig } from '../../shared/config.ts'
import { buildHttpApp } from '../../shared/http-app.ts'
import { markRoutes } from '../../shared/http-auth.ts'
import { createLogger } from '../../shared/logger.ts'
import { createRegistry } from '../../shared/telemetry.ts'

const plugin: FastifyPluginAsync = async (app) => {
  app.get(
    '/v1/thing',
    { schema: { summary: 'a thing', response: { 200: { type: 'object', properties: { ok: { type: 'boolean' } } } } } },
    async () => ({ ok: true }),
  )
  app.post('/v1/thing', async () => ({ posted: true }))
  await app.register(async (internal) => {
    markRoutes(internal, 'internal')
    internal.get('/internal/thing', async () => ({ internal: true }))
  })
}

async function build(env: Record<string, string>) {
  const app = await buildHttpApp(loadConfig({ LOG_LEVEL: 'silent', ...env }), {
    log: createLogger({ level: 'silent' }),
    registry: createRegistry(),
    plugins: [plugin],
    readiness: () => ({ ready: true, details: {} }),
  })
  onTestFinished(() => app.close())
  return app
}

const get = (url: string, authorization?: string) => ({
  url,
  headers: authorization === undefined ? {} : { authorization },
})

describe('bearer tokens', () => {
  it('401 with WWW-Authenticate on a plugin route without the token, or with a wrong one, or another scheme', async () => {
    const app = await build({ API_TOKEN: 'api-secret' })
    for (const auth of [undefined, 'Bearer wrong', 'api-secret', 'Basic api-secret', 'Bearer', 'Bearer api-secret2']) {
      const res = await app.inject(get('/v1/thing', auth))
      expect(res.statusCode, String(auth)).toBe(401)
      expect(res.json()).toEqual({ error: 'PLAYCOUNT_UNAUTHORIZED', message: 'Missing or wrong bearer token' })
      expect(res.headers['www-authenticate']).toBe(
        auth === undefined || !/^bearer /i.test(auth)
          ? 'Bearer realm="playcount"'
          : 'Bearer realm="playcount", error="invalid_token"',
      )
    }
    expect((await app.inject({ method: 'POST', url: '/v1/thing' })).statusCode).toBe(401)
    expect((await app.inject(get('/nowhere'))).statusCode).toBe(401)
  })

  it('takes the scheme in any case', async () => {
    const app = await build({ API_TOKEN: 'api-secret' })
    for (const scheme of ['Bearer', 'bearer', 'BEARER', 'bEaReR']) {
      expect((await app.inject(get('/v1/thing', `${scheme} api-secret`))).json()).toEqual({ ok: true })
    }
  })

  it('keeps /healthz, /readyz and /docs open; /metrics and internal routes take INTERNAL_TOKEN, not API_TOKEN', async () => {
    const app = await build({ API_TOKEN: 'api-secret', INTERNAL_TOKEN: 'int-secret' })
    for (const url of ['/healthz', '/readyz', '/docs', '/docs/json', '/docs/yaml'])
      expect((await app.inject(get(url))).statusCode, url).toBe(200)
    for (const url of ['/internal/thing', '/metrics']) {
      expect((await app.inject(get(url))).statusCode, url).toBe(401)
      expect((await app.inject(get(url, 'Bearer api-secret'))).statusCode, url).toBe(401)
      expect((await app.inject(get(url, 'bearer int-secret'))).statusCode, url).toBe(200)
    }
    expect((await app.inject(get('/v1/thing', 'Bearer int-secret'))).statusCode).toBe(401)
  })

  it('secures internal routes with API_TOKEN when INTERNAL_TOKEN is unset, and only them with INTERNAL_TOKEN alone', async () => {
    const apiOnly = await build({ API_TOKEN: 'api-secret' })
    expect((await apiOnly.inject(get('/internal/thing'))).statusCode).toBe(401)
    expect((await apiOnly.inject(get('/internal/thing', 'Bearer api-secret'))).statusCode).toBe(200)
    const internalOnly = await build({ INTERNAL_TOKEN: 'int-secret' })
    expect((await internalOnly.inject(get('/v1/thing'))).statusCode).toBe(200)
    expect((await internalOnly.inject(get('/internal/thing'))).statusCode).toBe(401)
  })

  it('lets a CORS preflight through, and a 401 still carries the CORS headers', async () => {
    const app = await build({ API_TOKEN: 'api-secret', CORS_ORIGIN: 'https://app.example' })
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/thing',
      headers: {
        origin: 'https://app.example',
        'access-control-request-method': 'GET',
        'access-control-request-headers': 'authorization',
      },
    })
    expect(preflight.statusCode).toBe(204)
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example')
    const denied = await app.inject({ url: '/v1/thing', headers: { origin: 'https://app.example' } })
    expect(denied.statusCode).toBe(401)
    expect(denied.headers['access-control-allow-origin']).toBe('https://app.example')
  })

  it('marks the secured operations in the OpenAPI document, and none without a token', async () => {
    const secured = (await (await build({ API_TOKEN: 'api-secret' })).inject(get('/docs/json'))).json()
    expect(secured.components.securitySchemes).toEqual({ bearer: { type: 'http', scheme: 'bearer' } })
    expect(secured.paths['/v1/thing'].get.security).toEqual([{ bearer: [] }])
    expect(secured.paths['/v1/thing'].get.responses['401']).toBeDefined()
    const open = (await (await build({})).inject(get('/docs/json'))).json()
    expect(open.components.securitySchemes).toBeUndefined()
    expect(open.paths['/v1/thing'].get.security).toBeUndefined()
  })

  it('answers 405 with Allow for a method the path does not take', async () => {
    const app = await build({})
    const res = await app.inject({ method: 'DELETE', url: '/v1/thing?x=1' })
    expect(res.statusCode).toBe(405)
    expect(res.headers.allow).toBe('GET, HEAD, POST')
    expect(res.json()).toEqual({
      error: 'PLAYCOUNT_METHOD_NOT_ALLOWED',
      message: 'Method DELETE not allowed on /v1/thing; allowed: GET, HEAD, POST',
    })
    expect((await app.inject({ method: 'DELETE', url: '/nowhere' })).statusCode).toBe(404)
  })
})
