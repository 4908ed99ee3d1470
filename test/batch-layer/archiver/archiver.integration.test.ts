import { afterEach, describe, expect, it } from 'vitest'
import { buildArchiver, type Archiver } from '../../../batch-layer/archiver/index.ts'
import { loadConfig, type Config } from '../../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../../shared/duckdb.ts'
import { createKafka } from '../../../shared/kafka.ts'
import { openLake } from '../../../shared/lake.ts'
import { archiveProgressKey, hourStart, HOUR_MS, type ArchiveProgress } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { createRegistry } from '../../../shared/telemetry.ts'
import {
  archiverEnv,
  createTopic,
  duplicatesAndMissing,
  event,
  eventsInHour,
  produce,
  readArchive,
  testCatalog,
  type TestMessage,
} from './support.ts'
import { topicOffsets } from '../../support/kafka-read.ts'

const running: Archiver[] = []
afterEach(async () => {
  for (const a of running.splice(0)) await a.stop()
})

function archiver(config: Readonly<Config>): Archiver {
  const a = buildArchiver(config, {
    catalog: testCatalog(),
    lake: openLake(config),
    log: createLogger({ level: 'silent' }),
    registry: createRegistry(),
  })
  running.push(a)
  return a
}

/** Offsets a fresh topic gives these messages (in order, per partition). */
function offsetsOf(
  messages: TestMessage[],
  next = new Map<number, number>(),
): Array<{ partition: number; offset: number; valid: boolean }> {
  return messages.map((m) => {
    const offset = next.get(m.partition) ?? 0
    next.set(m.partition, offset + 1)
    return { partition: m.partition, offset, valid: !m.value.includes('"bad"') && m.value.startsWith('{') }
  })
}

async function progressOf(config: Readonly<Config>, partition: number): Promise<ArchiveProgress | undefined> {
  const lake = openLake(config)
  try {
    const b = await lake.get(archiveProgressKey(config.kafka.topic, partition))
    return b && (JSON.parse(b.toString()) as ArchiveProgress)
  } finally {
    lake.close()
  }
}

describe('archiver', () => {
  it('writes one file per partition and arrival hour with the documented columns, dead-letters invalid messages, publishes every partition', async () => {
    const config = loadConfig(await archiverEnv({ s3: false, extra: { ARCHIVE_GRACE_MS: '0' } }))
    await createTopic(config)
    const h0 = hourStart(Date.now()) - 3 * HOUR_MS
    const h1 = h0 + HOUR_MS
    const messages: TestMessage[] = [
      ...[0, 1, 2, 3, 4].map((i) => ({ partition: 0, at: h0 + i * 1000, value: event(`p0-${i}`, h0 + i * 1000) })),
      ...[0, 1, 2].map((i) => ({
        partition: 0,
        at: h1 + i * 1000,
        value: event(`p0-h1-${i}`, h1 + i * 1000, {
          songId: 's3',
          device: undefined,
          country: undefined,
          msPlayed: undefined,
        }),
      })),
      { partition: 0, at: h1 + 9000, value: event('bad-song', h1 + 9000, { songId: 'bad' }) },
      ...[0, 1, 2, 3].map((i) => ({ partition: 1, at: h0 + i, value: event(`p1-${i}`, h0 + i) })),
      { partition: 1, at: h0 + 50, value: 'not json' },
    ]
    await produce(config, messages)
    const summary = await archiver(config).drain()
    expect(summary).toMatchObject({ files: 3, rows: 12, deadLetters: 2 })

    const contents = await readArchive(config)
    expect(contents.files.map((f) => [f.partition, f.hour, f.firstOffset, f.rows])).toEqual(
      [
        [0, h0, 0, 5],
        [1, h0, 0, 4],
        [0, h1, 5, 3],
      ].sort((a, b) => a[1]! - b[1]! || a[0]! - b[0]!),
    )
    const expected = offsetsOf(messages).filter((m) => m.valid)
    expect(duplicatesAndMissing(contents, expected)).toEqual({ duplicates: [], missing: [], extra: [] })

    const lake = openLake(config)
    const duck = await openDuck(config)
    try {
      const files = contents.files.map((f) => quoteLiteral(lake.location(f.key))).join(', ')
      const described = (
        await duck.conn.runAndReadAll(`DESCRIBE SELECT * FROM read_parquet([${files}], hive_partitioning = false)`)
      )
        .getRows()
        .map(([n, t]) => [n, t])
      expect(described).toEqual([
        ['event_id', 'VARCHAR'],
        ['ts', 'TIMESTAMP WITH TIME ZONE'],
        ['arrived_at', 'TIMESTAMP WITH TIME ZONE'],
        ['user_id', 'VARCHAR'],
        ['song_id', 'VARCHAR'],
        ['artist_id', 'VARCHAR'],
        ['type', 'VARCHAR'],
        ['ms_played', 'INTEGER'],
        ['device', 'VARCHAR'],
        ['country', 'VARCHAR'],
        ['kafka_partition', 'INTEGER'],
        ['kafka_offset', 'BIGINT'],
      ])
      const row = (
        await duck.conn.runAndReadAll(`SELECT epoch_ms(ts), epoch_ms(arrived_at), artist_id, ms_played, device, country
        FROM read_parquet([${files}]) WHERE event_id = 'p0-h1-1'`)
      ).getRows()
      expect(row).toEqual([[BigInt(h1 + 1000 - 1000), BigInt(h1 + 1000), 'a2', null, null, null]])
    } finally {
      duck.close()
      lake.close()
    }

    for (const [p, next] of [
      [0, 9],
      [1, 5],
      [2, 0],
    ] as const) {
      expect(await progressOf(config, p)).toMatchObject({
        partition: p,
        nextOffset: String(next),
        closedThrough: hourStart(Date.now()),
      })
    }
    const admin = createKafka(config).admin()
    await admin.connect()
    const [committed] = await admin.fetchOffsets({
      groupId: `${config.kafka.groupPrefix}.${config.kafka.topic}.archiver`,
      topics: [config.kafka.topic],
    })
    await admin.disconnect()
    const [dlq] = await topicOffsets(config, config.kafka.dlqTopic)
    expect(dlq?.high).toBe('2')
    expect(committed?.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '9'],
      [1, '5'],
      [2, '0'],
    ])
  })

  it.each([false, true])('drain, then more messages of the same hour, land in a further part (s3: %s)', async (s3) => {
    const config = loadConfig(await archiverEnv({ s3 }))
    await createTopic(config)
    const hour = hourStart(Date.now())
    const first = eventsInHour('a', 20, 3, hour)
    await produce(config, first)
    const one = await archiver(config).drain()
    expect(one.files).toBe(3)
    const second = eventsInHour('b', 10, 3, hour).map((m) => ({ ...m, at: m.at + 100 }))
    await produce(config, second)
    await running.pop()!.stop()
    const two = await archiver(config).drain()
    expect(two).toMatchObject({ files: 3, rows: 10 })
    const contents = await readArchive(config)
    const next = new Map<number, number>()
    const expected = [...offsetsOf(first, next), ...offsetsOf(second, next)]
    expect(duplicatesAndMissing(contents, expected)).toEqual({ duplicates: [], missing: [], extra: [] })
    expect(contents.files.map((f) => `${f.partition}:${f.firstOffset}-${f.lastOffset}`).sort()).toEqual([
      '0:0-6',
      '0:7-10',
      '1:0-6',
      '1:7-9',
      '2:0-5',
      '2:6-8',
    ])
    // The open hour is not closed by a drain.
    expect((await progressOf(config, 0))?.closedThrough).toBeLessThanOrEqual(hour)
  })
})
