/**
 * The whole pipeline under faults (issue 8): simulated traffic with duplicates and late events through the
 * collector, malformed messages straight onto the topic, while the speed role, the archiver and the serve role are
 * killed -9 at random moments, the Kafka broker restarts, the S3 server stops for 60 s and batch runs happen during
 * ingest. After recovery the API's numbers for every song, artist and day equal the ground truth computed from
 * what the collector accepted; the archive holds every message exactly once; the DLQ holds exactly the malformed.
 * The suite runs its own Kafka and MinIO on separate ports, since it restarts them.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest'
import { ensureCatalog } from '../../shared/catalog/default.ts'
import { createRandom } from '../../shared/random.ts'
import { simulate } from '../../tools/simulator/simulate.ts'
import { servicesDown, servicesUp, startOne } from '../../services/services.ts'
import type { Catalog } from '../../shared/catalog/catalog.ts'
import { loadConfig, type Config } from '../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../shared/duckdb.ts'
import type { ListenEvent } from '../../shared/event.ts'
import { createKafka, ensureTopics } from '../../shared/kafka.ts'
import { dayOf, DAY_MS } from '../../shared/layout.ts'
import { openLake, type Lake } from '../../shared/lake.ts'
import { createLogger } from '../../shared/logger.ts'
import { oracle, type DayValues } from '../support/oracle.ts'
import { topicOffsets } from '../support/kafka-read.ts'
import { RoleProcess, runCli } from './support/roles.ts'
import { sendTraffic } from './support/traffic.ts'

const METRIC_KEYS = ['plays', 'completes', 'skips', 'likes', 'dislikes', 'msPlayed', 'listeners'] as const
const LISTENERS = Number(process.env.FAULTS_LISTENERS ?? 150)
const RATE = Number(process.env.FAULTS_RATE ?? 500)
const MALFORMED = 60
const S3_OUTAGE_MS = Number(process.env.FAULTS_S3_OUTAGE_MS ?? 60_000)

let home: string
let env: Record<string, string>
let config: Readonly<Config>
let lake: Lake
let catalog: Catalog
const faults: string[] = []
const started: RoleProcess[] = []

beforeAll(async () => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-faults-'))
  env = {
    KAFKA_PORT: '29092',
    KAFKA_CONTROLLER_PORT: '29093',
    MINIO_PORT: '29000',
    MINIO_CONSOLE_PORT: '29001',
    SERVICES_DIR: path.join(home, 'services'),
    PLAYCOUNT_HOME: home,
    PLAYCOUNT_CACHE: inject('cacheDir'),
    KAFKA_BROKERS: '127.0.0.1:29092',
    S3_ENDPOINT: 'http://127.0.0.1:29000',
    LAKE_URI: 's3://playcount/lake',
    KAFKA_TOPIC: 'faults',
    KAFKA_GROUP_PREFIX: 'faults',
    SPEED_URLS: 'http://127.0.0.1:28181',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    KAFKAJS_NO_PARTITIONER_WARNING: '1',
  }
  config = loadConfig({ ...env, LOG_LEVEL: 'silent' })
  await servicesUp(config)
  const admin = createKafka(config).admin()
  await admin.connect()
  await ensureTopics(admin, config)
  await admin.disconnect()
  lake = openLake(config)
  catalog = await ensureCatalog(config, lake, createLogger({ level: 'silent' }))
}, 300_000)

afterAll(async () => {
  // A failed assertion must not leave role processes behind on these ports.
  await Promise.all(started.map((r) => r.kill()))
  lake?.close()
  if (config) await servicesDown(config)
  if (home) fs.rmSync(home, { recursive: true, force: true })
})

describe('the pipeline under faults', () => {
  it('ends with the API equal to ground truth, the archive exactly once and the DLQ exactly the malformed', async () => {
    // Logs outside the temporary home, so a failed run leaves them to read.
    const logDir = path.join('test-results', 'faults', new Date().toISOString().replace(/[:.]/g, '-'))
    fs.mkdirSync(logDir, { recursive: true })
    const speed = new RoleProcess('speed', 28181, env, logDir)
    const archiver = new RoleProcess('archiver', 28182, env, logDir)
    const ingest = new RoleProcess('ingest', 28183, env, logDir)
    const serve = new RoleProcess('serve', 28180, env, logDir)
    const roles = [speed, archiver, ingest, serve]
    started.push(...roles)
    for (const r of roles) r.start()
    await Promise.all(roles.map((r) => r.ready()))

    // Traffic: two days of listening, with duplicates and late events; batches of 200 at RATE events/s.
    const now = Date.now()
    const outputs = [
      ...simulate({
        catalog,
        listeners: LISTENERS,
        start: now - 2 * DAY_MS,
        durationMs: 2 * DAY_MS - 60_000,
        seed: 8,
        duplicates: 0.03,
        late: 0.03,
      }),
    ]
    const lines = outputs
      .filter((o) => o.event !== undefined)
      .map((o) => ({ line: o.line, event: o.event as ListenEvent }))
    const batches: Array<typeof lines> = []
    for (let i = 0; i < lines.length; i += 200) batches.push(lines.slice(i, i + 200))
    const traffic = sendTraffic(ingest.url, batches, { ratePerSecond: RATE })
    const trafficSeconds = lines.length / RATE

    // Malformed messages straight onto the topic, as a broken producer would send them.
    const producer = createKafka(config).producer({ idempotent: true, maxInFlightRequests: 1 })
    await producer.connect()
    const malformed = new Set<string>()
    const bad = [
      '{not json',
      '{"eventId":"x1","ts":1,"userId":"u","type":"play"}',
      JSON.stringify({ eventId: 'x2', ts: now, userId: 'u', songId: 'no-such-song', type: 'play' }),
      JSON.stringify({
        eventId: 'x3',
        ts: now + 10 * DAY_MS,
        userId: 'u',
        songId: catalog.songs.keys().next().value,
        type: 'play',
      }),
    ]
    for (let i = 0; i < MALFORMED; i++) {
      const [meta] = await producer.send({
        topic: config.kafka.topic,
        acks: -1,
        messages: [{ key: `bad-${i}`, value: bad[i % bad.length] ?? '' }],
      })
      malformed.add(`${meta?.partition}:${meta?.baseOffset}`)
    }
    await producer.disconnect()

    // Faults at random moments within the traffic's span.
    const r = createRandom(42)
    const at = (lo: number, hi: number) => (lo + r.next() * (hi - lo)) * trafficSeconds * 1000
    const t0 = Date.now()
    const until = (ms: number) => sleep(Math.max(0, t0 + ms - Date.now()))
    const schedule = async () => {
      await until(at(0.05, 0.15))
      faults.push('kill -9 speed')
      await speed.crashAndRestart()
      await until(at(0.15, 0.25))
      faults.push('kill -9 archiver')
      await archiver.crashAndRestart()
      await until(at(0.25, 0.3))
      faults.push('batch run during ingest')
      await runCli(['batch'], env, logDir)
      await until(at(0.3, 0.4))
      faults.push('kill -9 serve')
      await serve.crashAndRestart()
      await until(at(0.4, 0.5))
      faults.push('Kafka broker restart')
      await servicesDown(config, ['kafka'])
      await sleep(3000)
      await startOne(config, 'kafka')
      await until(at(0.5, 0.6))
      faults.push(`S3 server stopped for ${S3_OUTAGE_MS / 1000} s`)
      await servicesDown(config, ['minio'])
      await sleep(S3_OUTAGE_MS)
      await startOne(config, 'minio')
      faults.push('kill -9 speed')
      await speed.crashAndRestart()
      faults.push('batch run during ingest')
      await runCli(['batch'], env, logDir)
    }
    const [sent] = await Promise.all([traffic, schedule()])

    // Recovery: everything ready, the archiver drained by `archive --drain`, a last batch run.
    await Promise.all(roles.map((x) => x.ready()))
    await archiver.stop()
    await runCli(['archive', '--drain'], env, logDir)
    await runCli(['batch'], env, logDir)

    const truth = oracle(sent.accepted, catalog)
    const days = [...new Set([...truth.values()].flatMap((d) => [...d.keys()]))].sort()
    const from = days[0] ?? dayOf(now)
    const to = dayOf(Date.now())

    // The API: every song and artist, every day of the range, equals the truth once the realtime part caught up.
    let mismatches: string[]
    const deadline = Date.now() + 120_000
    do {
      mismatches = []
      for (const [kind, ids] of [
        ['songs', [...catalog.songs.keys()]],
        ['artists', [...catalog.artists.keys()]],
      ] as const) {
        for (const id of ids) {
          const res = await fetch(`${serve.url}/v1/${kind}/${id}/daily?from=${from}&to=${to}`)
          const body = (await res.json()) as {
            complete?: boolean
            days: Array<DayValues & { date: string; listenersExact: boolean }>
          }
          if (body.complete === false) {
            mismatches.push(`${kind}/${id}: incomplete`)
            continue
          }
          const want = truth.get(`${kind === 'songs' ? 'song' : 'artist'}:${id}`)
          for (const d of body.days) {
            const w = want?.get(d.date)
            for (const m of METRIC_KEYS) {
              const expected = w?.[m] ?? 0
              const ok = m === 'listeners' && !d.listenersExact ? d[m] >= expected : d[m] === expected
              if (!ok) mismatches.push(`${kind}/${id} ${d.date} ${m}: got ${d[m]}, want ${expected}`)
            }
          }
        }
      }
      if (mismatches.length > 0) await sleep(2000)
    } while (mismatches.length > 0 && Date.now() < deadline)

    // The archive: every message once, every accepted event present.
    const duck = await openDuck(config)
    let archive: { rows: number; messages: number; events: number }
    try {
      const files = (await lake.list('events/'))
        .filter((k) => k.endsWith('.parquet'))
        .map((k) => quoteLiteral(lake.location(k)))
      const reader = await duck.conn.runAndReadAll(`SELECT count(*)::INTEGER AS rows,
        count(DISTINCT (kafka_partition, kafka_offset))::INTEGER AS messages, count(DISTINCT event_id)::INTEGER AS events
        FROM read_parquet([${files.join(', ')}])`)
      archive = reader.getRowObjectsJson()[0] as typeof archive
    } finally {
      duck.close()
    }
    const acceptedIds = new Set(sent.accepted.map((e) => e.eventId))

    // The DLQ: exactly the malformed messages, by source partition:offset.
    const dlq = await readDlqKeys(config)

    const summary = {
      eventsSent: sent.sent,
      accepted: acceptedIds.size,
      collectorRetries: sent.retries,
      malformed: MALFORMED,
      faults,
      restarts: Object.fromEntries(roles.map((x) => [x.role, x.restarts])),
      archive,
      dlq: dlq.size,
      mismatches: mismatches.length,
      firstMismatches: mismatches.slice(0, 5),
    }
    process.stdout.write(`\nfault suite: ${JSON.stringify(summary, null, 2)}\n`)
    for (const x of roles) await x.stop()

    expect(mismatches.slice(0, 20)).toEqual([])
    expect(archive.rows).toBe(archive.messages)
    expect(archive.events).toBe(acceptedIds.size)
    expect([...dlq].sort()).toEqual([...malformed].sort())
    expect(faults.length).toBeGreaterThanOrEqual(8)
  })
})

async function readDlqKeys(config: Readonly<Config>): Promise<Set<string>> {
  const kafka = createKafka(config)
  const ends = await topicOffsets(config, config.kafka.dlqTopic)
  const total = ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
  const keys = new Set<string>()
  const consumer = kafka.consumer({ groupId: `dlq-check-${Date.now()}` })
  await consumer.connect()
  await consumer.subscribe({ topic: config.kafka.dlqTopic, fromBeginning: true })
  let seen = 0
  await consumer.run({
    eachMessage: async ({ message }) => {
      seen++
      keys.add(message.key?.toString() ?? '')
    },
  })
  const deadline = Date.now() + 60_000
  while (seen < total && Date.now() < deadline) await sleep(100)
  await consumer.disconnect()
  return keys
}
