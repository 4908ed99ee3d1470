/** Helpers for integration tests: a Config pointing at the real services, random names, and cleanup. */
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
} from '@aws-sdk/client-s3'
import { inject, onTestFinished } from 'vitest'
import { loadConfig, type Config } from '../shared/config.ts'
import { createKafka } from '../shared/kafka.ts'
import { createS3Client } from '../shared/s3.ts'

export function randomName(prefix: string): string {
  return `${prefix}-${crypto.randomBytes(5).toString('hex')}`
}

/** A Config for the running test services, with a random topic, group prefix and local lake unless overridden. */
export function testConfig(env: Record<string, string> = {}): Readonly<Config> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-test-'))
  onTestFinished(() => fs.rmSync(home, { recursive: true, force: true }))
  return loadConfig({
    KAFKA_BROKERS: inject('kafkaBrokers'),
    S3_ENDPOINT: inject('s3Endpoint'),
    PLAYCOUNT_CACHE: inject('cacheDir'),
    KAFKA_TOPIC: randomName('t'),
    KAFKA_GROUP_PREFIX: randomName('g'),
    PLAYCOUNT_HOME: home,
    LAKE_URI: path.join(home, 'lake'),
    LOG_LEVEL: 'silent',
    ...env,
  })
}

/** Creates a random bucket and deletes it (and everything in it) when the test finishes. */
export async function testBucket(config: Readonly<Config>): Promise<string> {
  const bucket = randomName('b')
  const s3 = createS3Client(config)
  await s3.send(new CreateBucketCommand({ Bucket: bucket }))
  onTestFinished(async () => {
    let token: string | undefined
    do {
      const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: token }))
      const keys = (res.Contents ?? []).map((o) => ({ Key: o.Key ?? '' }))
      if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys } }))
      token = res.IsTruncated ? res.NextContinuationToken : undefined
    } while (token)
    await s3.send(new DeleteBucketCommand({ Bucket: bucket }))
    s3.destroy()
  })
  return bucket
}

/** A Config whose lake is a fresh bucket on the test S3 server. */
export async function testS3Config(env: Record<string, string> = {}): Promise<Readonly<Config>> {
  const base = testConfig(env)
  const bucket = await testBucket(base)
  return testConfig({ ...env, LAKE_URI: `s3://${bucket}/lake` })
}

/** Deletes the test's topics (the main one and its DLQ) when the test finishes. */
export function cleanupTopics(config: Readonly<Config>): void {
  onTestFinished(async () => {
    const admin = createKafka(config).admin()
    await admin.connect()
    const existing = new Set(await admin.listTopics())
    const topics = [config.kafka.topic, config.kafka.dlqTopic, config.kafka.signalsTopic].filter((t) => existing.has(t))
    if (topics.length > 0) await admin.deleteTopics({ topics })
    await admin.disconnect()
  })
}

/** Polls until `check` returns a value that is not undefined; fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 30_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}
