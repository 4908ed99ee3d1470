/** Shared pieces of the archiver tests: a tiny catalog, a topic whose arrival times the test sets, and a reader. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { inject, onTestFinished } from 'vitest'
import { Catalog } from '../../../shared/catalog/catalog.ts'
import { loadConfig, type Config } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { createKafka, createTopicsAndWait } from '../../../shared/kafka.ts'
import { openLake, type Lake } from '../../../shared/lake.ts'
import { CATALOG_ARTISTS_KEY, CATALOG_SONGS_KEY, parseEventsFileKey, HOUR_MS } from '../../../shared/layout.ts'
import { cleanupTopics, randomName, testBucket } from '../../helpers.ts'

export const SONGS = ['s1', 's2', 's3', 's4']
export const ARTIST_OF: Record<string, string> = { s1: 'a1', s2: 'a1', s3: 'a2', s4: 'a2' }

export function testCatalog(): Catalog {
  return new Catalog(
    [
      { artistId: 'a1', name: 'One', genre: 'pop', country: 'DE' },
      { artistId: 'a2', name: 'Two', genre: 'rock', country: 'FR' },
    ],
    SONGS.map((songId, i) => ({
      songId,
      artistId: ARTIST_OF[songId]!,
      title: `Song ${i}`,
      genre: 'pop',
      durationMs: 200_000,
      popularityRank: i + 1,
    })),
  )
}

/** The environment of an archiver under test (also handed to child processes), with its own topic and group. */
export async function archiverEnv(opts: {
  s3: boolean
  extra?: Record<string, string>
}): Promise<Record<string, string>> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-archiver-'))
  onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
  const env: Record<string, string> = {
    KAFKA_BROKERS: inject('kafkaBrokers'),
    S3_ENDPOINT: inject('s3Endpoint'),
    PLAYCOUNT_CACHE: inject('cacheDir'),
    KAFKA_TOPIC: randomName('t'),
    KAFKA_GROUP_PREFIX: randomName('g'),
    KAFKA_PARTITIONS: '3',
    PLAYCOUNT_HOME: home,
    LAKE_URI: path.join(home, 'lake'),
    LOG_LEVEL: 'silent',
    ...opts.extra,
  }
  if (opts.s3) env.LAKE_URI = `s3://${await testBucket(loadConfig(env))}/lake`
  return env
}

/** The topic with CreateTime timestamps, so the test decides each message's arrival hour. */
export async function createTopic(config: Readonly<Config>): Promise<void> {
  cleanupTopics(config)
  const admin = createKafka(config).admin()
  await admin.connect()
  try {
    await createTopicsAndWait(admin, [
      {
        topic: config.kafka.topic,
        numPartitions: config.kafka.partitions,
        configEntries: [{ name: 'message.timestamp.type', value: 'CreateTime' }],
      },
      { topic: config.kafka.dlqTopic, numPartitions: 1 },
    ])
  } finally {
    await admin.disconnect()
  }
}

export interface TestMessage {
  partition: number
  at: number
  value: string
}

export function event(id: string, at: number, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    eventId: id,
    ts: at - 1000,
    userId: `u${id.length}`,
    songId: 's1',
    type: 'play',
    msPlayed: 1234,
    device: 'mobile',
    country: 'DE',
    ...extra,
  })
}

export async function produce(config: Readonly<Config>, messages: TestMessage[]): Promise<void> {
  // Idempotent: a retried request on a loaded machine must not append the batch twice (seen once in CI).
  const producer = createKafka(config).producer({ idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    await producer.sendBatch({
      acks: -1,
      topicMessages: [
        {
          topic: config.kafka.topic,
          messages: messages.map((m) => ({ partition: m.partition, timestamp: String(m.at), value: m.value })),
        },
      ],
    })
  } finally {
    await producer.disconnect()
  }
}

/** `count` valid events spread over `partitions`, all arriving in the hour starting at `hour`. */
export function eventsInHour(prefix: string, count: number, partitions: number, hour: number): TestMessage[] {
  return Array.from({ length: count }, (_, i) => ({
    partition: i % partitions,
    at: hour + 1000 + i,
    value: event(`${prefix}-${i}`, hour + 1000 + i),
  }))
}

export async function writeTestCatalog(config: Readonly<Config>, lake: Lake): Promise<void> {
  const duck = await openDuck(config)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-'))
  try {
    await duck.conn
      .run(`COPY (SELECT * FROM (VALUES ('a1', 'One', 'pop', 'DE'), ('a2', 'Two', 'rock', 'FR')) t(artist_id, name, genre, country))
      TO ${quoteLiteral(path.join(dir, 'a.parquet'))} (FORMAT parquet)`)
    const songs = SONGS.map((s, i) => `('${s}', '${ARTIST_OF[s]}', 'Song ${i}', 'pop', 200000, ${i + 1})`).join(', ')
    await duck.conn
      .run(`COPY (SELECT * FROM (VALUES ${songs}) t(song_id, artist_id, title, genre, duration_ms, popularity_rank))
      TO ${quoteLiteral(path.join(dir, 's.parquet'))} (FORMAT parquet)`)
    await lake.putFile(CATALOG_ARTISTS_KEY, path.join(dir, 'a.parquet'))
    await lake.putFile(CATALOG_SONGS_KEY, path.join(dir, 's.parquet'))
  } finally {
    duck.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

export interface ArchivedFile {
  key: string
  partition: number
  firstOffset: number
  lastOffset: number
  rows: number
  hour: number
}
export interface ArchiveContents {
  files: ArchivedFile[]
  rows: Array<{ partition: number; offset: number; eventId: string }>
}

/**
 * Every events file of the lake read back with DuckDB; fails when a file's name does not match its content
 * (partition, first offset, arrival hour of every row).
 */
export async function readArchive(config: Readonly<Config>): Promise<ArchiveContents> {
  const lake = openLake(config)
  const keys = (await lake.list('events/')).filter((k) => k.endsWith('.parquet'))
  const duck = await openDuck(config)
  const out: ArchiveContents = { files: [], rows: [] }
  try {
    for (const key of keys) {
      const name = parseEventsFileKey(key)
      if (name === undefined) throw new Error(`unexpected key ${key}`)
      const r = await duck.conn.runAndReadAll(
        `SELECT kafka_partition, kafka_offset, event_id, epoch_ms(arrived_at) FROM read_parquet(${quoteLiteral(lake.location(key))}) ORDER BY kafka_offset`,
      )
      const rows = r
        .getRows()
        .map(([p, o, id, at]) => ({ partition: Number(p), offset: Number(o), eventId: String(id), at: Number(at) }))
      if (rows.length === 0) throw new Error(`${key} is empty`)
      for (const row of rows) {
        if (row.partition !== name.partition) throw new Error(`${key} holds partition ${row.partition}`)
        if (row.at < name.arrivalHourMs || row.at >= name.arrivalHourMs + HOUR_MS)
          throw new Error(`${key} holds a row that arrived at ${row.at}`)
      }
      if (rows[0]!.offset !== Number(name.firstOffset)) throw new Error(`${key} starts at offset ${rows[0]!.offset}`)
      out.files.push({
        key,
        partition: name.partition,
        firstOffset: Number(name.firstOffset),
        lastOffset: rows.at(-1)!.offset,
        rows: rows.length,
        hour: name.arrivalHourMs,
      })
      out.rows.push(...rows.map(({ partition, offset, eventId }) => ({ partition, offset, eventId })))
    }
  } finally {
    duck.close()
    lake.close()
  }
  return out
}

/** Asserts each expected (partition, offset) appears exactly once and nothing else does. */
export function duplicatesAndMissing(
  contents: ArchiveContents,
  expected: Array<{ partition: number; offset: number }>,
): { duplicates: string[]; missing: string[]; extra: string[] } {
  const seen = new Map<string, number>()
  for (const r of contents.rows)
    seen.set(`${r.partition}:${r.offset}`, (seen.get(`${r.partition}:${r.offset}`) ?? 0) + 1)
  const want = new Set(expected.map((e) => `${e.partition}:${e.offset}`))
  return {
    duplicates: [...seen].filter(([, n]) => n > 1).map(([k]) => k),
    missing: [...want].filter((k) => !seen.has(k)),
    extra: [...seen.keys()].filter((k) => !want.has(k)),
  }
}
