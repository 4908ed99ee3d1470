/**
 * API keys against a real process (cli/pipeline.ts listening on a port, Kafka, the lake): a key scoped to one artist
 * reads that artist and its songs by every route and format (daily, breakdown), and gets for another artist and its
 * songs the very 404 an unknown id gets; search, trending and the daily chart show only its own entries (trending and
 * the chart with their true ranks); roles keep readers off the collector and ingest keys off the reports; status and
 * /metrics are admin-only; API_TOKEN stays an admin key.
 */
import crypto from 'node:crypto'
import { describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline, type Pipeline } from '../../cli/pipeline.ts'
import type { Config } from '../../shared/config.ts'
import { createLogger } from '../../shared/logger.ts'
import { cleanupTopics, eventually, testConfig } from '../helpers.ts'
import { writeDefaultCatalog } from './support/catalog.ts'
import { addKeys, call } from './support/keys.ts'

const API = 'api-token-secret'

async function startPipeline(
  config: Readonly<Config>,
  roles: Parameters<typeof buildPipeline>[1],
): Promise<{ pipeline: Pipeline; url: string }> {
  const pipeline = await buildPipeline(config, roles, createLogger({ level: 'silent' }))
  onTestFinished(() => pipeline.stop())
  return { pipeline, url: await pipeline.start() }
}

describe('API keys scoped to artists', () => {
  it(
    "a scoped key reads its artist and songs by every route and format, and gets an unknown id's 404 for the others",
    { timeout: 90_000 },
    async () => {
      // Many denied requests from one address on purpose: the failure limit is the brute-force test's business.
      const config = testConfig({
        PORT: '0',
        KAFKA_PARTITIONS: '1',
        API_TOKEN: API,
        KEYS_RELOAD_MS: '200',
        AUTH_FAILURES_MAX: '1000',
      })
      cleanupTopics(config)
      await writeDefaultCatalog(config)
      const { pipeline, url } = await startPipeline(config, ['speed', 'serve', 'ingest'])
      const { catalog } = pipeline
      const [mine, other] = [...catalog.artists.values()].filter((a) => catalog.songsOf(a.artistId).length > 0)
      const keys = await addKeys(config, [
        { name: 'label-a', role: 'reader', artists: [mine!.artistId], label: 'Label A' },
        { name: 'screen', role: 'reader', artists: [], allArtists: true },
        { name: 'app', role: 'ingest', artists: [] },
        { name: 'ops', role: 'admin', artists: [] },
      ])
      await pipeline.app.ready()
      // The pipeline loaded the (then empty) store at build: wait for its reload to see the keys.
      await eventually(
        async () => ((await call(`${url}/v1/me`, keys['label-a'])).status === 200 ? true : undefined),
        10_000,
        'the keys reloaded',
      )

      const mySongs = catalog.songsOf(mine!.artistId).map((s) => s.songId)
      const otherSongs = catalog.songsOf(other!.artistId).map((s) => s.songId)
      const paths = (kind: 'artists' | 'songs', id: string) =>
        ['daily', 'daily?format=csv', 'daily?parts=true', 'daily?from=2026-01-01&to=2026-01-31&format=csv'].map(
          (q) => `/v1/${kind}/${encodeURIComponent(id)}/${q}`,
        )
      const allowed = [...paths('artists', mine!.artistId), ...mySongs.flatMap((s) => paths('songs', s))]
      const hidden = [...paths('artists', other!.artistId), ...otherSongs.flatMap((s) => paths('songs', s))]
      for (const p of allowed) expect((await call(url + p, keys['label-a'])).status, p).toBe(200)
      for (const p of hidden) {
        const denied = await call(url + p, keys['label-a'])
        // The same answer as an id that does not exist: status, headers that matter, body with the id swapped.
        const unknownPath = p.replace(/(artists|songs)\/[^/]+/, '$1/no-such-id')
        const unknown = await call(url + unknownPath, keys['label-a'])
        expect(denied.status, p).toBe(404)
        expect(denied.headers.get('content-type')).toBe(unknown.headers.get('content-type'))
        const id = decodeURIComponent(/(?:artists|songs)\/([^/]+)/.exec(p)![1]!)
        expect(await denied.text()).toBe((await unknown.text()).replace('no-such-id', id))
        expect((await call(url + p, keys.ops)).status, `${p} with an admin key`).toBe(200)
        expect((await call(url + p, API)).status, `${p} with API_TOKEN`).toBe(200)
        expect((await call(url + p, keys.screen)).status, `${p} with a reader of all`).toBe(200)
      }
      // Validation answers first, for an id out of scope as for an unknown one.
      const badDate = await call(`${url}/v1/artists/${other!.artistId}/daily?from=2026-13-01`, keys['label-a'])
      expect(badDate.status).toBe(400)

      // Search: the other artist's name finds nothing of it; the admin finds it.
      const search = async (q: string, key: string) =>
        (await (await call(`${url}/v1/search?q=${encodeURIComponent(q)}&limit=100`, key)).json()).results as Array<{
          kind: string
          id: string
        }>
      const scopedHits = await search(other!.name, keys['label-a'])
      expect(scopedHits.filter((h) => h.id === other!.artistId || otherSongs.includes(h.id))).toEqual([])
      expect((await search(other!.name, keys.ops)).map((h) => h.id)).toContain(other!.artistId)
      expect((await search(mine!.name, keys['label-a'])).map((h) => h.id)).toContain(mine!.artistId)

      // Roles: a reader cannot post events, an ingest key cannot read, status and /metrics are admin-only.
      const event = (songId: string) => ({
        eventId: crypto.randomUUID(),
        ts: Date.now(),
        userId: `u${crypto.randomInt(1e6)}`,
        songId,
        type: 'play',
      })
      const post = (key: string, events: object[]) =>
        call(`${url}/v1/events`, key, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(events),
        })
      const readerPost = await post(keys['label-a'], [event(mySongs[0]!)])
      expect(readerPost.status).toBe(403)
      expect(await readerPost.json()).toMatchObject({ error: 'PLAYCOUNT_FORBIDDEN' })
      expect((await call(`${url}/v1/artists/${mine!.artistId}/daily`, keys.app)).status).toBe(403)
      for (const p of ['/v1/status', '/metrics']) {
        expect((await call(url + p, keys['label-a'])).status, p).toBe(403)
        expect((await call(url + p, keys.screen)).status, p).toBe(403)
        expect((await call(url + p, keys.ops)).status, p).toBe(200)
        expect((await call(url + p, API)).status, p).toBe(200)
      }
      // Signals, segments and listeners name listeners and every artist's plays: admin keys only.
      for (const p of ['/v1/signals', '/v1/segments', '/v1/listeners/u1']) {
        expect((await call(url + p, keys['label-a'])).status, p).toBe(403)
        expect((await call(url + p, keys.screen)).status, p).toBe(403)
        expect([200, 404], p).toContain((await call(url + p, keys.ops)).status)
      }
      expect(await (await call(`${url}/v1/me`, keys['label-a'])).json()).toEqual({
        name: 'label-a',
        role: 'reader',
        label: 'Label A',
        allArtists: false,
        artists: [mine!.artistId],
      })

      // Trending: the other artist's song leads; the scoped key sees only its own song, at its true rank 2.
      const lead = [...Array(3)].map(() => event(otherSongs[0]!))
      expect((await post(keys.app, [...lead, event(mySongs[0]!)])).status).toBe(202)
      const trending = async (key: string) =>
        (await (await call(`${url}/v1/trending?window=5m&kind=song&limit=10`, key)).json()).items as Array<{
          id: string
          rank: number
          plays: number
        }>
      await eventually(
        async () => ((await trending(keys.ops)).length === 2 ? true : undefined),
        30_000,
        'both songs trending',
      )
      expect((await trending(keys.ops)).map((i) => [i.rank, i.id])).toEqual([
        [1, otherSongs[0]],
        [2, mySongs[0]],
      ])
      expect(await trending(keys['label-a'])).toEqual([expect.objectContaining({ rank: 2, id: mySongs[0], plays: 1 })])

      // Breakdowns take the daily route's scope: 200 on its artist and songs, an unknown id's 404 for the others.
      const breakdowns = (kind: 'artists' | 'songs', id: string) =>
        ['breakdown?by=device', 'breakdown?by=country&format=csv'].map(
          (q) => `/v1/${kind}/${encodeURIComponent(id)}/${q}`,
        )
      for (const p of [...breakdowns('artists', mine!.artistId), ...mySongs.flatMap((s) => breakdowns('songs', s))])
        expect((await call(url + p, keys['label-a'])).status, p).toBe(200)
      for (const p of [
        ...breakdowns('artists', other!.artistId),
        ...otherSongs.flatMap((s) => breakdowns('songs', s)),
      ]) {
        const denied = await call(url + p, keys['label-a'])
        const unknown = await call(url + p.replace(/(artists|songs)\/[^/]+/, '$1/no-such-id'), keys['label-a'])
        expect(denied.status, p).toBe(404)
        expect(unknown.status, p).toBe(404)
        expect(denied.headers.get('content-type')).toBe(unknown.headers.get('content-type'))
        const id = decodeURIComponent(/(?:artists|songs)\/([^/]+)/.exec(p)![1]!)
        expect(await denied.text(), p).toBe((await unknown.text()).replace('no-such-id', id))
        expect((await call(url + p, keys.ops)).status, `${p} with an admin key`).toBe(200)
      }

      // Charts: the admin sees both songs and both artists; the scoped key only its own, at the admin's ranks.
      type Entry = { id: string; rank: number; plays: number; artistId?: string }
      const chart = async (kind: 'song' | 'artist', key: string) => {
        const res = await call(`${url}/v1/charts/daily?kind=${kind}&limit=50`, key)
        expect(res.status).toBe(200)
        return (await res.json()).entries as Entry[]
      }
      for (const kind of ['song', 'artist'] as const) {
        const [ownId, otherId] = kind === 'song' ? [mySongs[0]!, otherSongs[0]!] : [mine!.artistId, other!.artistId]
        await eventually(
          async () => ((await chart(kind, keys.ops)).some((e) => e.id === ownId) ? true : undefined),
          30_000,
          `the ${kind} chart has today's plays`,
        )
        const full = await chart(kind, keys.ops)
        const scoped = await chart(kind, keys['label-a'])
        const ownOf = (e: Entry) => (kind === 'song' ? e.artistId : e.id) === mine!.artistId
        expect(full.map((e) => e.id)).toEqual(expect.arrayContaining([ownId, otherId]))
        expect(full.findIndex((e) => e.id === otherId)).toBeLessThan(full.findIndex((e) => e.id === ownId))
        expect(scoped.length).toBeGreaterThan(0)
        expect(scoped.filter((e) => !ownOf(e))).toEqual([])
        expect(scoped).toEqual(full.filter(ownOf))
        expect(scoped.find((e) => e.id === ownId)!.rank).toBe(full.find((e) => e.id === ownId)!.rank)
        expect(JSON.stringify(scoped)).not.toContain(otherId)
      }

      // The OpenAPI document says what a 404 means on a scoped route, and documents 403 and 429.
      const doc = await (await fetch(`${url}/docs/json`)).json()
      const op = doc.paths['/v1/artists/{id}/daily'].get
      expect(op.responses['404'].description).toMatch(/outside the key's artists/)
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['401', '403', '429']))
    },
  )
})
