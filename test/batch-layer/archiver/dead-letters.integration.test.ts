/**
 * Dead letters that do not fit the DLQ, a DLQ that refuses them, and the one-writer rule (README, "Dead letters"):
 * every message of the log is either archived or dead-lettered once, and nothing blocks the archive.
 */
import { createHash } from 'node:crypto'
import { afterEach, describe, expect, it, onTestFinished } from 'vitest'
import { buildPipeline } from '../../../cli/pipeline.ts'
import { CompressionTypes, type IHeaders } from 'kafkajs'
import { buildArchiver, type Archiver } from '../../../batch-layer/archiver/index.ts'
import type { Catalog } from '../../../shared/catalog/catalog.ts'
import { loadConfig, type Config } from '../../../shared/config.ts'
import { DLQ_KEPT_BYTES } from '../../../shared/dlq.ts'
import { createKafka, createTopicsAndWait } from '../../../shared/kafka.ts'
import { openLake } from '../../../shared/lake.ts'
import { deadLetterPrefix, hourStart, HOUR_MS } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { createRegistry } from '../../../shared/telemetry.ts'
import { catalog as speedCatalog, makeEvents, setupTopic, speed } from '../../speed-layer/fixtures.ts'
import { cleanupTopics, eventually } from '../../helpers.ts'
import { topicSize } from '../../support/kafka-read.ts'
import {
  archiverEnv,
  createTopic,
  duplicatesAndMissing,
  event,
  eventsInHour,
  produce,
  readArchive,
  testCatalog,
} from './support.ts'

/** An uncompressed value the broker takes (default message.max.bytes 1048588) but not again with a DLQ key and headers. */
const NEAR_LIMIT_BYTES = 1_048_480
/** A value that arrives gzip-compressed to a few KiB and is 2 MiB once decompressed. */
const GZIP_BYTES = 2 * 1024 * 1024
/** Bound on a drain of a few dozen messages: before the fix it never ended. */
const DRAIN_MS = 60_000

const running: Archiver[] = []
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop()
})

function archiver(config: Readonly<Config>, catalog: Catalog = testCatalog()) {
  const registry = createRegistry()
  const a = buildArchiver(config, { catalog, lake: openLake(config), log: createLogger({ level: 'silent' }), registry })
  running.push(a)
  return { archiver: a, registry }
}

function bounded<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not end within ${ms} ms`)), ms)
  })
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

/** A JSON-looking value of exactly `size` bytes. */
function bigValue(size: number): Buffer {
  const head = Buffer.from('{"eventId":"big","pad":"')
  return Buffer.concat([head, Buffer.alloc(size - head.length - 2, 'x'), Buffer.from('"}')])
}

interface Letter {
  key: string
  value: Buffer | null
  headers: Record<string, string>
}

/** Every letter of the DLQ, after checking its end offset says exactly `count` were written. */
async function readDlq(config: Readonly<Config>, count: number): Promise<Letter[]> {
  const kafka = createKafka(config)
  expect(await topicSize(config, config.kafka.dlqTopic)).toBe(count)
  const consumer = kafka.consumer({ groupId: `${config.kafka.groupPrefix}.dlq-reader`, maxBytesPerPartition: 8 << 20 })
  const letters: Letter[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic: config.kafka.dlqTopic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => {
        letters.push({ key: String(message.key), value: message.value, headers: headersOf(message.headers ?? {}) })
      },
    })
    await eventually(async () => (letters.length >= count ? true : undefined), 30_000, `${count} letters in the DLQ`)
  } finally {
    await consumer.disconnect()
  }
  return letters.sort((a, b) => a.key.localeCompare(b.key))
}

function headersOf(h: IHeaders): Record<string, string> {
  return Object.fromEntries(Object.entries(h).map(([k, v]) => [k, String(v)]))
}

/** The topic, and a DLQ that takes nothing over 1 KiB: a valid-sized letter is refused for good (RecordTooLarge). */
async function createRefusingDlq(config: Readonly<Config>): Promise<void> {
  cleanupTopics(config)
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    await createTopicsAndWait(admin, [
      {
        topic: config.kafka.topic,
        numPartitions: 3,
        configEntries: [{ name: 'message.timestamp.type', value: 'CreateTime' }],
      },
      { topic: config.kafka.dlqTopic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '1024' }] },
    ])
  } finally {
    await admin.disconnect()
  }
}

const digest = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

describe('dead letters', () => {
  it(
    'stores a letter too large for the DLQ truncated with its size and digest, and the drain ends',
    { timeout: 120_000 },
    async () => {
      const config = loadConfig(await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0' } }))
      await createTopic(config)
      const h0 = hourStart(Date.now()) - 2 * HOUR_MS
      const valid = eventsInHour('v', 30, 3, h0)
      await produce(config, valid)
      const near = bigValue(NEAR_LIMIT_BYTES)
      const gzipped = bigValue(GZIP_BYTES)
      const producer = createKafka(config).producer({ idempotent: true, maxInFlightRequests: 1 })
      await producer.connect()
      try {
        await producer.send({
          topic: config.kafka.topic,
          acks: -1,
          messages: [{ partition: 0, key: 'u-big', value: near, timestamp: String(h0 + 5000) }],
        })
        await producer.send({
          topic: config.kafka.topic,
          acks: -1,
          compression: CompressionTypes.GZIP,
          messages: [{ partition: 2, key: 'u-gzip', value: gzipped, timestamp: String(h0 + 6000) }],
        })
        await producer.send({
          topic: config.kafka.topic,
          acks: -1,
          messages: [{ partition: 1, key: 'u-bad', value: '{bad', timestamp: String(h0 + 7000) }],
        })
      } finally {
        await producer.disconnect()
      }
      // And valid events after them: archiving goes on past the bad ones.
      const after = eventsInHour('w', 6, 3, h0 + 10_000)
      await produce(config, after)

      const { archiver: a, registry } = archiver(config)
      const summary = await bounded(a.drain(), DRAIN_MS, 'the drain')
      expect(summary).toMatchObject({ rows: 36, deadLetters: 3, elsewhere: { partitions: [] } })
      // Each partition: ten valid events (offsets 0-9), its bad message (10), two more valid ones (11, 12).
      const expected = [0, 1, 2].flatMap((partition) =>
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12].map((offset) => ({ partition, offset })),
      )
      expect(duplicatesAndMissing(await readArchive(config), expected)).toEqual({
        duplicates: [],
        missing: [],
        extra: [],
      })

      const letters = await readDlq(config, 3)
      expect(letters.map((l) => [l.key, l.headers.reason, l.headers.truncated])).toEqual([
        ['0:10', 'too_large', 'true'],
        ['1:10', 'bad_json', undefined],
        ['2:10', 'too_large', 'true'],
      ])
      const [big, bad, gz] = letters as [Letter, Letter, Letter]
      expect(big.headers).toMatchObject({
        'original-size': String(NEAR_LIMIT_BYTES),
        sha256: digest(near),
        'source-partition': '0',
        'source-offset': '10',
      })
      expect(big.value).toEqual(near.subarray(0, DLQ_KEPT_BYTES))
      expect(gz.headers).toMatchObject({ 'original-size': String(GZIP_BYTES), sha256: digest(gzipped) })
      expect(gz.value?.length).toBe(DLQ_KEPT_BYTES)
      expect(bad.value?.toString()).toBe('{bad')
      expect(a.deadLetterStatus()).toMatchObject({ pending: 0, delivered: 3, inLake: 0, sendFailures: 0 })
      expect(await registry.getSingleMetricAsString('playcount_archiver_dead_letters_total')).toContain(
        'destination="dlq"} 3',
      )
    },
  )

  it(
    'delivers many truncated letters in requests the broker takes (not one request over its limit)',
    { timeout: 120_000 },
    async () => {
      const config = loadConfig(await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0' } }))
      await createTopic(config)
      const h0 = hourStart(Date.now()) - 2 * HOUR_MS
      // 80 values of 20 KiB in one partition, read in one fetch: their 80 letters of 16 KiB are 1.3 MB, more than one
      // request to the DLQ may carry.
      const big = Array.from({ length: 80 }, (_, i) => ({
        partition: 0,
        at: h0 + i,
        value: bigValue(20 * 1024).toString(),
      }))
      for (let i = 0; i < big.length; i += 20) await produce(config, big.slice(i, i + 20))

      const { archiver: a } = archiver(config)
      const summary = await bounded(a.drain(), DRAIN_MS, 'the drain')
      expect(summary).toMatchObject({ rows: 0, deadLetters: 80 })
      expect(a.deadLetterStatus()).toMatchObject({ delivered: 80, inLake: 0, sendFailures: 0 })
      const letters = await readDlq(config, 80)
      expect(letters.every((l) => l.headers.reason === 'too_large' && l.value?.length === DLQ_KEPT_BYTES)).toBe(true)
    },
  )

  it('keeps a letter the DLQ refuses in the lake, reports it, and archives on', { timeout: 120_000 }, async () => {
    const config = loadConfig(await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0' } }))
    await createRefusingDlq(config)
    const h0 = hourStart(Date.now()) - 2 * HOUR_MS
    const unknownSong = event('unknown', h0 + 100, { songId: 'nope', pad: 'y'.repeat(2000) })
    await produce(config, [{ partition: 0, at: h0 + 100, value: unknownSong }, ...eventsInHour('v', 9, 3, h0 + 200)])

    const { archiver: a, registry } = archiver(config)
    const summary = await bounded(a.drain(), DRAIN_MS, 'the drain')
    expect(summary).toMatchObject({ rows: 9, deadLetters: 1 })
    const lake = openLake(config)
    try {
      const keys = await lake.list(deadLetterPrefix(config.kafka.topic))
      expect(keys).toEqual([`deadletters/topic=${config.kafka.topic}/p0-o0.json`])
      const doc = JSON.parse((await lake.get(keys[0]!))!.toString()) as Record<string, unknown>
      expect(doc).toMatchObject({
        key: '0:0',
        reason: 'unknown_song',
        field: 'songId',
        size: unknownSong.length,
        value: Buffer.from(unknownSong).toString('base64'),
      })
    } finally {
      lake.close()
    }
    expect(a.deadLetterStatus()).toMatchObject({ pending: 0, delivered: 0, inLake: 1, sendFailures: 1 })
    expect(a.deadLetterStatus().lastError?.message).toMatch(/refused/)
    expect(await registry.getSingleMetricAsString('playcount_archiver_dlq_send_failures_total')).toContain(
      'refused="true"} 1',
    )
    expect(await registry.getSingleMetricAsString('playcount_archiver_dead_letters_total')).toContain(
      'destination="lake"} 1',
    )
  })

  it(
    'shows a refusing DLQ on /v1/status and /metrics of the process that runs the archiver',
    { timeout: 120_000 },
    async () => {
      const config = loadConfig(await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0', PORT: '0' } }))
      await createRefusingDlq(config)
      const h0 = hourStart(Date.now()) - 2 * HOUR_MS
      await produce(config, [
        { partition: 1, at: h0, value: event('unknown', h0, { songId: 'nope', pad: 'y'.repeat(2000) }) },
      ])
      const pipeline = await buildPipeline(config, ['archiver', 'serve'], createLogger({ level: 'silent' }), {
        createDefaultCatalog: true,
      })
      onTestFinished(() => pipeline.stop())
      await pipeline.start()
      const status = await eventually(
        async () => {
          const body = (await pipeline.app.inject({ url: '/v1/status' })).json<{
            deadLetters: { inLake: number } | null
          }>()
          return body.deadLetters?.inLake === 1 ? body.deadLetters : undefined
        },
        60_000,
        'the letter in the lake on /v1/status',
      )
      expect(status).toMatchObject({
        pending: 0,
        delivered: 0,
        inLake: 1,
        sendFailures: 1,
        lastError: { message: expect.stringMatching(/refused/) },
      })
      const metrics = (await pipeline.app.inject({ url: '/metrics' })).body
      expect(metrics).toContain('playcount_archiver_dead_letters_pending 0')
      expect(metrics).toContain('playcount_archiver_dlq_send_failures_total{refused="true"} 1')
    },
  )

  it(
    'writes one letter per bad message when the speed layer and the archiver both read them',
    { timeout: 120_000 },
    async () => {
      const config = loadConfig(await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0' } }))
      const made = makeEvents(7, 300, { invalid: 5 })
      await setupTopic(config).then(({ produce: send }) => send(made.messages))
      const s = speed(config, { instance: 'one' })
      await s.start()
      // The speed layer has read (and rejected) every bad message before the archiver runs.
      await eventually(
        async () => {
          const m = await s.registry.getSingleMetricAsString('playcount_speed_rejected_total')
          const sum = [...m.matchAll(/} (\d+)/g)].reduce((n, x) => n + Number(x[1]), 0)
          return sum === made.invalid ? true : undefined
        },
        30_000,
        'the speed layer to reject every bad message',
      )
      const { archiver: a } = archiver(config, speedCatalog)
      const summary = await bounded(a.drain(), DRAIN_MS, 'the drain')
      expect(summary.deadLetters).toBe(made.invalid)
      const letters = await readDlq(config, made.invalid)
      expect(new Set(letters.map((l) => l.key)).size).toBe(made.invalid)
    },
  )
})
