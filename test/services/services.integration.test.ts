import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3'
import { describe, expect, it, onTestFinished } from 'vitest'
import { openDuck, quoteLiteral } from '../../shared/duckdb.ts'
import { createKafka, ensureTopics } from '../../shared/kafka.ts'
import { openLake } from '../../shared/lake.ts'
import { createS3Client } from '../../shared/s3.ts'
import { cleanupTopics, eventually, testBucket, testConfig, testS3Config } from '../helpers.ts'

describe('the real Kafka broker', () => {
  it('takes messages from a producer and hands them to a consumer group, keys and LogAppendTime included', async () => {
    const config = testConfig()
    cleanupTopics(config)
    const kafka = createKafka(config)
    const admin = kafka.admin()
    await admin.connect()
    onTestFinished(() => admin.disconnect())
    await ensureTopics(admin, config)
    const [meta] = (await admin.fetchTopicMetadata({ topics: [config.kafka.topic] })).topics
    expect(meta?.partitions).toHaveLength(6)
    const topicConfig = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: config.kafka.topic }],
    })
    const entries = topicConfig.resources[0]?.configEntries ?? []
    expect(entries.find((e) => e.configName === 'message.timestamp.type')?.configValue).toBe('LogAppendTime')

    const producer = kafka.producer({ idempotent: true })
    await producer.connect()
    onTestFinished(() => producer.disconnect())
    const sent = Array.from({ length: 50 }, (_, i) => ({ key: `user-${i % 7}`, value: JSON.stringify({ i }) }))
    const before = Date.now()
    await producer.send({ topic: config.kafka.topic, acks: -1, messages: sent })

    const consumer = kafka.consumer({ groupId: `${config.kafka.groupPrefix}.test` })
    await consumer.connect()
    onTestFinished(() => consumer.disconnect())
    await consumer.subscribe({ topic: config.kafka.topic, fromBeginning: true })
    const got: Array<{ key: string; i: number; ts: number }> = []
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push({
          key: message.key?.toString() ?? '',
          i: (JSON.parse(message.value?.toString() ?? '{}') as { i: number }).i,
          ts: Number(message.timestamp),
        })
      },
    })
    await eventually(async () => (got.length >= 50 ? true : undefined), 30_000, 'all 50 messages')
    expect(got.map((g) => g.i).sort((a, b) => a - b)).toEqual(sent.map((_, i) => i))
    for (const g of got) {
      expect(g.key).toBe(`user-${g.i % 7}`)
      expect(g.ts).toBeGreaterThanOrEqual(before - 1000)
    }
  })
})

describe('the real S3 server', () => {
  it('puts, gets and lists objects', async () => {
    const config = testConfig()
    const bucket = await testBucket(config)
    const s3 = createS3Client(config)
    onTestFinished(() => s3.destroy())
    for (const k of ['a/1.txt', 'a/2.txt', 'b/3.txt']) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: `body of ${k}` }))
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'a/' }))
    expect((listed.Contents ?? []).map((o) => o.Key)).toEqual(['a/1.txt', 'a/2.txt'])
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'b/3.txt' }))
    expect(await got.Body?.transformToString()).toBe('body of b/3.txt')
  })

  it('serves the lake abstraction: put, exists, list under a prefix, get, delete', async () => {
    const config = await testS3Config()
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    await lake.putBytes('x/one.json', '{"a":1}')
    await lake.putBytes('x/two.json', '{"a":2}')
    expect(await lake.exists('x/one.json')).toBe(true)
    expect(await lake.exists('x/none.json')).toBe(false)
    expect(await lake.list('x/')).toEqual(['x/one.json', 'x/two.json'])
    expect((await lake.get('x/two.json'))?.toString()).toBe('{"a":2}')
    await lake.delete('x/one.json')
    expect(await lake.get('x/one.json')).toBeUndefined()
  })
})

describe('DuckDB over the lake', () => {
  it('reads a Parquet file from the S3 server through httpfs', async () => {
    const config = await testS3Config()
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pc-duck-'))
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
    const local = path.join(dir, 'n.parquet')
    const duck = await openDuck(config)
    try {
      await duck.conn.run(
        `COPY (SELECT range AS n, range % 3 AS k FROM range(1000)) TO ${quoteLiteral(local)} (FORMAT parquet, COMPRESSION zstd)`,
      )
      await lake.putFile('t/n.parquet', local)
      const reader = await duck.conn.runAndReadAll(
        `SELECT k, count(*)::INTEGER AS c, sum(n)::BIGINT AS s FROM read_parquet(${quoteLiteral(lake.location('t/n.parquet'))}) GROUP BY k ORDER BY k`,
      )
      expect(reader.getRowObjectsJson()).toEqual([
        { k: '0', c: 334, s: '166833' },
        { k: '1', c: 333, s: '166167' },
        { k: '2', c: 333, s: '166500' },
      ])
    } finally {
      duck.close()
    }
  })
})
