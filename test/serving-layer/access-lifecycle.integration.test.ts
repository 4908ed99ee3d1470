/**
 * The life of API keys in a running process: revoked, expired and new keys take effect within KEYS_RELOAD_MS with
 * the store on S3 (no restart); failed attempts from one address end in 429 (a right key included) while other
 * addresses go on; /metrics counts denials per key name; the audit log names keys, routes and statuses and never
 * holds a secret.
 */
import crypto from 'node:crypto'
import { Writable } from 'node:stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline } from '../../cli/pipeline.ts'
import { openKeyStore, updateKeys } from '../../shared/access/key-ring.ts'
import { openLake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'
import { cleanupTopics, eventually, testConfig, testS3Config } from '../helpers.ts'
import { writeDefaultCatalog } from './support/catalog.ts'
import { addKeys, call } from './support/keys.ts'

const RELOAD_MS = 250

describe('API keys over time', () => {
  it(
    'a revoked or expired key gets 401, and a new key works, within the reload interval (store on S3)',
    { timeout: 60_000 },
    async () => {
      const config = await testS3Config({
        PORT: '0',
        KAFKA_PARTITIONS: '1',
        KEYS_RELOAD_MS: String(RELOAD_MS),
        AUTH_FAILURES_MAX: '1000',
      })
      cleanupTopics(config)
      await writeDefaultCatalog(config)
      const keys = await addKeys(config, [{ name: 'screen', role: 'reader', artists: [], allArtists: true }])
      const pipeline = await buildPipeline(config, ['serve'], createLogger({ level: 'silent' }))
      onTestFinished(() => pipeline.stop())
      const url = await pipeline.start()
      const status = async (key: string) => (await call(`${url}/v1/search?q=a`, key)).status
      expect(await status(keys.screen)).toBe(200)

      const lake = openLake(config)
      onTestFinished(() => lake.close())
      const store = openKeyStore(config, lake)
      const id = /^pc_([0-9a-f]{12})_/.exec(keys.screen)![1]
      await updateKeys(store, (list) =>
        list.map((k) => (k.id === id ? { ...k, revokedAt: new Date().toISOString() } : k)),
      )
      const revokedAt = Date.now()
      await eventually(
        async () => ((await status(keys.screen)) === 401 ? true : undefined),
        10_000,
        'the revoked key refused',
      )
      // One reload interval, plus the S3 read and the request; slack for a loaded test machine.
      expect(Date.now() - revokedAt).toBeLessThan(4 * RELOAD_MS + 2000)

      const added = await addKeys(config, [{ name: 'late', role: 'reader', artists: [], allArtists: true }])
      await eventually(
        async () => ((await status(added.late)) === 200 ? true : undefined),
        10_000,
        'the new key accepted',
      )

      const expiresAt = Date.now() + 4000
      const short = await addKeys(config, [
        { name: 'short', role: 'reader', artists: [], allArtists: true, expiresAt: new Date(expiresAt) },
      ])
      await eventually(
        async () => ((await status(short.short)) === 200 ? true : undefined),
        3000,
        'the short-lived key accepted',
      )
      await eventually(
        async () => ((await status(short.short)) === 401 ? true : undefined),
        10_000,
        'the expired key refused',
      )
      expect(Date.now()).toBeGreaterThanOrEqual(expiresAt)
    },
  )

  it(
    'brute force from one address ends in 429, /metrics counts denials per key, and no log line holds a secret',
    { timeout: 60_000 },
    async () => {
      const API = `api-${crypto.randomBytes(16).toString('hex')}`
      const config = testConfig({
        PORT: '0',
        KAFKA_PARTITIONS: '1',
        API_TOKEN: API,
        AUTH_FAILURES_MAX: '5',
        KEYS_RELOAD_MS: String(RELOAD_MS),
      })
      cleanupTopics(config)
      await writeDefaultCatalog(config)
      const lines: string[] = []
      const destination = new Writable({
        write(chunk: Buffer, _enc, cb) {
          lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
          cb()
        },
      })
      const pipeline = await buildPipeline(config, ['serve', 'ingest'], createLogger({ level: 'info', destination }))
      onTestFinished(() => pipeline.stop())
      const [mine, other] = [...pipeline.catalog.artists.keys()]
      const keys = await addKeys(config, [
        { name: 'label-a', role: 'reader', artists: [mine!] },
        { name: 'app', role: 'ingest', artists: [] },
      ])
      const url = await pipeline.start()
      // From other addresses (inject's remoteAddress), so the attack below does not touch these counts.
      const elsewhere = (path: string, key: string) =>
        pipeline.app.inject({ url: path, remoteAddress: '10.1.2.3', headers: { authorization: `Bearer ${key}` } })
      await eventually(
        async () =>
          (
            await pipeline.app.inject({
              url: '/v1/me',
              remoteAddress: '10.9.9.9',
              headers: { authorization: `Bearer ${keys['label-a']}` },
            })
          ).statusCode === 200
            ? true
            : undefined,
        10_000,
        'the keys reloaded',
      )
      expect((await elsewhere(`/v1/artists/${mine!}/daily`, keys['label-a'])).statusCode).toBe(200)
      expect((await elsewhere(`/v1/artists/${other!}/daily`, keys['label-a'])).statusCode).toBe(404)

      const denied = async (key: string) => {
        const m = new RegExp(`^playcount_http_denied_total\\{key="${key}"\\} (\\d+)$`, 'm').exec(
          (await elsewhere('/metrics', API)).body,
        )
        return m ? Number(m[1]) : 0
      }
      // Waiting for the reload made a few 401s of its own.
      const invalidBefore = await denied('invalid')
      const appId = /^pc_([0-9a-f]{12})_/.exec(keys.app)![1]!
      const guesses = [...Array(6)].map((_, i) =>
        i % 2 === 0
          ? `pc_${appId}_${crypto.randomBytes(32).toString('base64url')}` // a known id, a guessed secret
          : `pc_${crypto.randomBytes(6).toString('hex')}_${crypto.randomBytes(32).toString('base64url')}`,
      )
      // Requests without a key are no guesses: past the limit in number, they do not count towards it.
      for (let i = 0; i < 8; i++) expect((await call(`${url}/v1/status`, undefined)).status).toBe(401)
      for (const guess of guesses.slice(0, 5)) expect((await call(`${url}/v1/status`, guess)).status).toBe(401)
      const limited = await call(`${url}/v1/status`, guesses[5])
      expect(limited.status).toBe(429)
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0)
      expect(await limited.json()).toMatchObject({ error: 'PLAYCOUNT_RATE_LIMITED' })
      // Past the limit even the right key is refused from that address: a right guess cannot be told from a wrong one.
      expect((await call(`${url}/v1/status`, API)).status).toBe(429)
      expect((await elsewhere('/v1/status', API)).statusCode).toBe(200)

      expect(await denied('invalid')).toBe(invalidBefore + 6)
      expect(await denied('none')).toBe(8)
      expect(await denied('API_TOKEN')).toBe(1)
      expect(await denied('label-a')).toBe(1)

      // Each request that needed a key has an audit line with the key's name, route and status.
      const audits = lines
        .map((l) => JSON.parse(l) as { audit?: { key: string; route: string; status: number } })
        .flatMap((l) => (l.audit ? [l.audit] : []))
      expect(audits).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ key: 'label-a', route: '/v1/artists/:id/daily', status: 200 }),
          expect.objectContaining({ key: 'label-a', route: '/v1/artists/:id/daily', status: 404 }),
          expect.objectContaining({ key: 'invalid', route: '/v1/status', status: 401 }),
          expect.objectContaining({ key: 'invalid', route: '/v1/status', status: 429 }),
          expect.objectContaining({ key: 'API_TOKEN', route: '/v1/status', status: 200 }),
          expect.objectContaining({ key: 'API_TOKEN', route: '/metrics', status: 200 }),
        ]),
      )
      const secrets = [API, ...Object.values(keys), ...guesses].map((k) => k.replace(/^pc_[0-9a-f]{12}_/, ''))
      const log = lines.join('\n')
      for (const secret of secrets) expect(log).not.toContain(secret)
      expect(log).not.toMatch(/bearer/i)
    },
  )
})
