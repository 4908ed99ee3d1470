/**
 * `playcount demo` (what `npm start` runs): on the local services — here the shared test services, which it must
 * find already running and leave running — it writes the default catalog, runs every role and a simulator whose
 * events reach the topic, and stops cleanly on Ctrl-C, simulator included.
 */
import { inject } from 'vitest'
import { describe, expect, it } from 'vitest'
import { kafkaAnswers } from '../../services/kafka.ts'
import { s3Answers } from '../../services/minio.ts'
import { hasCatalog, loadCatalog } from '../../shared/catalog/store.ts'
import { createKafka } from '../../shared/kafka.ts'
import { openLake } from '../../shared/lake.ts'
import { parseEventsFileKey } from '../../shared/layout.ts'
import { cleanupTopics, eventually, testConfig } from '../helpers.ts'
import { childEnv, childPids, CliProcess, commandLine, isAlive } from './cli-process.ts'
import { topicSize } from '../support/kafka-read.ts'

/** The demo checks for services on KAFKA_PORT and MINIO_PORT: those of the test services. */
function servicePorts(): Record<string, string> {
  return {
    KAFKA_PORT: new URL(`kafka://${inject('kafkaBrokers')}`).port,
    MINIO_PORT: new URL(inject('s3Endpoint')).port,
  }
}

describe('playcount demo', () => {
  it('uses the running services, feeds simulated listeners through the collector, and stops cleanly on SIGINT', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const demo = new CliProcess(
      ['demo', '--history', '0', '--listeners', '2000', '--rate', '100'],
      childEnv(config, servicePorts()),
    )
    const base = (await demo.line(/^dashboard: (http:\/\/\S+)\//m, 120_000))[1] ?? ''
    // Already running, so not started: Ctrl-C must leave them alone.
    expect(demo.stdout).toMatch(/^kafka: external /m)
    expect(demo.stdout).toMatch(/^minio: external /m)
    expect(demo.stdout).toMatch(/^simulator: 2000 listeners/m)
    expect(demo.stdout).not.toMatch(/^history:/m)
    // The simulator is the one `playcount generate` child (tsx may also run its esbuild service when it compiles a file).
    const simulators = childPids(demo.child.pid ?? -1).filter((pid) => commandLine(pid).includes(' generate '))
    expect(simulators).toHaveLength(1)

    await eventually(
      async () => ((await topicSize(config)) > 0 ? true : undefined),
      60_000,
      'simulated events in the topic',
    )
    await eventually(async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 60_000, 'readyz')
    const lake = openLake(config)
    try {
      expect(await hasCatalog(lake)).toBe(true)
    } finally {
      lake.close()
    }

    demo.child.kill('SIGINT')
    expect(await demo.exit()).toBe(0)
    expect(demo.stdout).toContain('stopped')
    expect(simulators.filter(isAlive)).toEqual([])
    expect(await kafkaAnswers(config.kafka.brokers)).toBe(true)
    expect(await s3Answers(inject('s3Endpoint'))).toBe(true)
  })

  it('--history 2 lays down two days the batch has computed: the past days are batch, under the live topic watermark', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const t0 = Date.now()
    const demo = new CliProcess(
      ['demo', '--history', '2', '--listeners', '800', '--rate', '20'],
      childEnv(config, servicePorts()),
    )
    const base = (await demo.line(/^dashboard: (http:\/\/\S+)\//m, 120_000))[1] ?? ''
    // One line per step, each with its duration.
    for (const step of ['watermark of the live topic', 'simulating 2 days', 'archiving to the lake', 'batch run']) {
      expect(demo.stdout).toMatch(new RegExp(`^  ✓ ${step}: .* \\(\\d+\\.\\d s\\)$`, 'm'))
    }
    await eventually(async () => ((await fetch(`${base}/readyz`)).ok ? true : undefined), 60_000, 'readyz')
    const readyMs = Date.now() - t0

    const today = new Date().toISOString().slice(0, 10)
    const past = [1, 2].map((n) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10))
    // The most popular song's artist: 100 simulated listeners play it every day.
    const lake = openLake(config)
    const catalog = await loadCatalog(config, lake).finally(() => lake.close())
    const top = [...catalog.songs.values()].sort((a, b) => a.popularityRank - b.popularityRank)[0]!
    const daily = (await (
      await fetch(`${base}/v1/artists/${top.artistId}/daily?from=${past[1]}&to=${today}`)
    ).json()) as {
      watermark: string | number | null
      days: Array<{ date: string; plays: number; source: string }>
    }
    // The watermark is the live topic's: the current hour less the archiver's grace, so at most ~1 h 5 min old.
    expect(daily.watermark).not.toBeNull()
    const w = new Date(daily.watermark!).getTime()
    expect(Date.now() - w).toBeLessThan(3_600_000 + 300_000 + readyMs)
    const yesterday = daily.days.find((d) => d.date === past[0])
    expect(yesterday).toMatchObject({ source: 'batch' })
    expect(yesterday!.plays).toBeGreaterThan(0)
    for (const d of daily.days.filter((x) => x.date < today)) expect(d.source).toBe('batch')
    // The history arrived in order: one file per past arrival hour, every one before W.
    const lake2 = openLake(config)
    const hours = (await lake2.list('events/').finally(() => lake2.close())).map(
      (k) => parseEventsFileKey(k)?.arrivalHourMs,
    )
    expect(hours.length).toBeGreaterThan(24)
    for (const h of hours) expect(h).toBeLessThan(w)
    expect(new Set(hours).size).toBe(hours.length)
    // The backfill topic is gone: only the live topic feeds the speed layer.
    const admin = createKafka(config).admin()
    await admin.connect()
    try {
      expect(await admin.listTopics()).not.toContain(`${config.kafka.topic}.history`)
    } finally {
      await admin.disconnect()
    }
    demo.child.kill('SIGINT')
    expect(await demo.exit()).toBe(0)
  }, 180_000)

  it('refuses a --history that is not a whole number of days, before touching anything', async () => {
    const config = testConfig()
    const demo = new CliProcess(['demo', '--history', '2.5'], childEnv(config, servicePorts()))
    expect(await demo.exit()).toBe(1)
    expect(demo.stderr).toContain('PLAYCOUNT_BAD_REQUEST')
    expect(demo.stderr).toContain('--history must be a whole number of days from 0 to 366, got 2.5')
    expect(demo.stdout).toBe('')
  })

  it('refuses a Kafka cluster other than the local one, before touching anything', async () => {
    const config = testConfig()
    const demo = new CliProcess(
      ['demo'],
      childEnv(config, { ...servicePorts(), KAFKA_BROKERS: 'kafka.example.com:9092' }),
    )
    expect(await demo.exit()).toBe(1)
    expect(demo.stderr).toContain('PLAYCOUNT_CONFIG_INVALID')
    expect(demo.stderr).toContain('KAFKA_BROKERS must be the local broker')
    expect(demo.stdout).toBe('')
  })

  it('refuses an s3:// lake on an S3 other than the local MinIO, before touching anything', async () => {
    const config = testConfig()
    const demo = new CliProcess(
      ['demo'],
      childEnv(config, { ...servicePorts(), LAKE_URI: 's3://analytics/lake', S3_ENDPOINT: 'https://s3.example.com' }),
    )
    expect(await demo.exit()).toBe(1)
    expect(demo.stderr).toContain('PLAYCOUNT_CONFIG_INVALID')
    expect(demo.stderr).toContain('S3_ENDPOINT must be the local MinIO')
    expect(demo.stdout).toBe('')
  })
})
