/**
 * Route scopes in the shared HTTP app (shared/http-auth.ts) with keys from a real keys file: a route a plugin adds
 * without a scope is admin-only; a ScopeRule hides an id outside the key's artists behind the route's own 404, after
 * validation; `filtered` routes are the handler's to restrict; roles keep ingest keys off reads and readers off the
 * collector's access level; an unknown path is a 404 for any valid key.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { FastifyPluginAsync } from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { KeyRing, openKeyStore, updateKeys } from '../../../shared/access/key-ring.ts'
import { mintKey } from '../../../shared/access/keys.ts'
import { loadConfig } from '../../../shared/config.ts'
import { Errors } from '../../../shared/errors.ts'
import { buildHttpApp } from '../../../shared/http-app.ts'
import type { ScopeRule } from '../../../shared/http-auth.ts'
import { openLake } from '../../../shared/lake.ts'
import { createLogger } from '../../../shared/logger.ts'
import { createRegistry } from '../../../shared/telemetry.ts'

const ARTIST_OF: Record<string, string> = { a1: 'a1', s1: 'a1', a2: 'a2', s2: 'a2' }
const scope: ScopeRule = {
  artistOf: (req) => ARTIST_OF[(req.params as { id: string }).id],
  notFound: (req) => new Errors.NOT_FOUND('Thing', (req.params as { id: string }).id),
}

const plugin: FastifyPluginAsync = async (app) => {
  const params = { type: 'object', properties: { id: { type: 'string', maxLength: 4 } } }
  app.get<{ Params: { id: string } }>('/v1/things/:id', { schema: { params }, config: { scope } }, async (req) => {
    if (ARTIST_OF[req.params.id] === undefined) throw new Errors.NOT_FOUND('Thing', req.params.id)
    return { id: req.params.id }
  })
  app.get('/v1/later-report', async () => ({ everyone: 'numbers' }))
  app.get('/v1/listing', { config: { scope: 'filtered' } }, async (req) => ({ principal: req.principal?.name }))
  app.post('/v1/collect', { config: { access: 'ingest' } }, async () => ({ ok: true }))
}

async function build() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-scope-'))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  const config = loadConfig({
    LOG_LEVEL: 'silent',
    KEYS_FILE: path.join(dir, 'keys.json'),
    LAKE_URI: path.join(dir, 'lake'),
  })
  const lake = openLake(config)
  onTestFinished(() => lake.close())
  const store = openKeyStore(config, lake)
  const minted = {
    reader: mintKey({ name: 'r', role: 'reader', artists: ['a1'] }),
    ingest: mintKey({ name: 'i', role: 'ingest', artists: [] }),
    admin: mintKey({ name: 'a', role: 'admin', artists: [] }),
  }
  await updateKeys(store, () => Object.values(minted).map((m) => m.entry))
  const log = createLogger({ level: 'silent' })
  const keys = new KeyRing(store, { reloadMs: 60_000, log })
  await keys.load()
  const app = await buildHttpApp(config, {
    log,
    registry: createRegistry(),
    plugins: [plugin],
    keys,
    readiness: () => ({ ready: true, details: {} }),
  })
  onTestFinished(() => app.close())
  const as = (who: keyof typeof minted, url: string, method: 'GET' | 'POST' = 'GET') =>
    app.inject({ method, url, headers: { authorization: `Bearer ${minted[who].key}` } })
  return { app, as }
}

describe('route scopes', () => {
  it("hides an id outside the key's artists behind the route's own 404, after validation", async () => {
    const { as } = await build()
    expect((await as('reader', '/v1/things/s1')).statusCode).toBe(200)
    const hidden = await as('reader', '/v1/things/s2')
    const unknown = await as('reader', '/v1/things/zz')
    expect(hidden.statusCode).toBe(404)
    expect(hidden.json()).toEqual({ error: 'PLAYCOUNT_NOT_FOUND', message: 'Thing not found: s2' })
    expect(unknown.json()).toEqual({ error: 'PLAYCOUNT_NOT_FOUND', message: 'Thing not found: zz' })
    expect((await as('reader', '/v1/things/s2xxx')).statusCode).toBe(400)
    expect((await as('admin', '/v1/things/s2')).statusCode).toBe(200)
  })

  it('makes a route without a scope admin-only, and lets filtered routes and unknown paths through', async () => {
    const { app, as } = await build()
    expect((await as('reader', '/v1/later-report')).json()).toMatchObject({ error: 'PLAYCOUNT_FORBIDDEN' })
    expect((await as('reader', '/v1/later-report')).statusCode).toBe(403)
    expect((await as('admin', '/v1/later-report')).statusCode).toBe(200)
    expect((await as('reader', '/v1/listing')).json()).toEqual({ principal: 'r' })
    expect((await as('reader', '/v1/nowhere')).statusCode).toBe(404)
    expect((await as('ingest', '/v1/nowhere')).statusCode).toBe(404)
    expect((await app.inject({ url: '/v1/listing' })).statusCode).toBe(401)
  })

  it('keeps ingest keys off reads and readers off ingest routes', async () => {
    const { as } = await build()
    expect((await as('ingest', '/v1/things/s1')).statusCode).toBe(403)
    expect((await as('ingest', '/v1/collect', 'POST')).statusCode).toBe(200)
    expect((await as('reader', '/v1/collect', 'POST')).statusCode).toBe(403)
    expect((await as('admin', '/v1/collect', 'POST')).statusCode).toBe(200)
    expect((await as('reader', '/metrics')).statusCode).toBe(403)
    expect((await as('admin', '/metrics')).statusCode).toBe(200)
  })
})
