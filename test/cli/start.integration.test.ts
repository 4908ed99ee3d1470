/**
 * `playcount start` is the production command: against the configured Kafka and lake it runs the roles asked for
 * and nothing else — no local services, no simulated listeners (which would land in the real topic) — and a lake
 * without a catalog is an error that says how to create one, not a default catalog made up on the spot.
 */
import { describe, expect, it } from 'vitest'
import { generateCatalog, writeCatalog } from '../../shared/catalog/generate.ts'
import { hasCatalog } from '../../shared/catalog/store.ts'
import { openLake } from '../../shared/lake.ts'
import { cleanupTopics, eventually, testConfig } from '../helpers.ts'
import { childEnv, CliProcess, commandChildren } from './cli-process.ts'
import { topicSize } from '../support/kafka-read.ts'

describe('playcount start', () => {
  it('refuses a lake without a catalog, naming how to create one, and writes none', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const start = new CliProcess(['start'], childEnv(config))
    expect(await start.exit()).toBe(1)
    expect(start.stderr).toContain('PLAYCOUNT_CATALOG_MISSING')
    expect(start.stderr).toContain('playcount catalog generate')
    expect(start.stdout).not.toMatch(/^(kafka|minio):/m)
    const lake = openLake(config)
    try {
      expect(await hasCatalog(lake)).toBe(false)
    } finally {
      lake.close()
    }
  })

  it('runs every role against the configured services without spawning services or a simulator', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const catalog = generateCatalog({ artists: 3, songs: 10, seed: 7 })
    const lake = openLake(config)
    try {
      await writeCatalog(config, lake, catalog)
    } finally {
      lake.close()
    }
    const start = new CliProcess(['start'], childEnv(config))
    const base = (await start.line(/^dashboard: (http:\/\/\S+)\//m))[1] ?? ''
    await eventually(async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 60_000, 'readyz')

    // Everything start does happens before it prints the dashboard line: by now a simulator or a service
    // process would be its child, and it says what it runs.
    expect(commandChildren(start.child.pid ?? -1)).toEqual([])
    expect(start.stdout).not.toMatch(/^(kafka|minio|simulator):/m)
    expect(start.stdout).toMatch(
      new RegExp(`^roles: speed, archiver, batch-scheduler, serve, ingest on topic ${config.kafka.topic} `, 'm'),
    )
    expect(await topicSize(config)).toBe(0)

    // One real event through the collector; the topic then holds exactly it, and still only it a few seconds later
    // (a simulator sends about 50 events a second).
    const songId = catalog.songs[0]?.songId ?? ''
    const res = await fetch(`${base}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ eventId: 'start-1', ts: Date.now(), userId: 'u1', songId, type: 'play' }),
    })
    expect(res.status).toBe(202)
    expect(await topicSize(config)).toBe(1)
    const until = Date.now() + 3000
    while (Date.now() < until) {
      expect(await topicSize(config)).toBe(1)
      expect(commandChildren(start.child.pid ?? -1)).toEqual([])
    }

    start.child.kill('SIGINT')
    expect(await start.exit()).toBe(0)
    expect(start.stdout).toContain('stopped')
  })
})
