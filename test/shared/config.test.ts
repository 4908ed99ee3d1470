import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../shared/config.ts'

describe('loadConfig', () => {
  it('gives the documented defaults', () => {
    const c = loadConfig({})
    expect(c.kafka.brokers).toEqual(['127.0.0.1:9092'])
    expect(c.kafka.topic).toBe('listen-events')
    expect(c.kafka.dlqTopic).toBe('listen-events.dlq')
    expect(c.kafka.partitions).toBe(6)
    expect(c.http.port).toBe(8080)
    expect(c.logFormat).toBe('auto')
    expect(c.s3.endpoint).toBeUndefined()
    expect(c.batch.schedule).toBe('30 0 * * *')
  })

  it('keeps local state under the top-level data/ folder: the lake in data/lake, the services in data/services', () => {
    const c = loadConfig({})
    expect(c.home).toBe(path.resolve('data'))
    expect(c.lakeUri).toBe(path.resolve('data/lake'))
    expect(c.services.dir).toBe(path.resolve('data/services'))
    expect(c.cacheDir).toBe(path.join(os.homedir(), '.cache', 'playcount'))
    const moved = loadConfig({ PLAYCOUNT_HOME: '/tmp/elsewhere' })
    expect(moved.services.dir).toBe('/tmp/elsewhere/services')
  })

  it('converts numbers and lists and derives the DLQ and the S3 endpoint', () => {
    const c = loadConfig({
      PORT: '9999',
      KAFKA_BROKERS: 'a:1,b:2',
      KAFKA_TOPIC: 'x',
      LAKE_URI: 's3://bkt/pre/',
      SPEED_URLS: 'http://a:1,http://b:2',
    })
    expect(c.http.port).toBe(9999)
    expect(c.kafka.brokers).toEqual(['a:1', 'b:2'])
    expect(c.kafka.dlqTopic).toBe('x.dlq')
    expect(c.lakeUri).toBe('s3://bkt/pre')
    expect(c.s3.endpoint).toBe('http://127.0.0.1:9000')
    expect(c.speed.urls).toEqual(['http://a:1', 'http://b:2'])
  })

  it('points at the local broker on KAFKA_PORT and the local MinIO on MINIO_PORT unless told otherwise', () => {
    expect(loadConfig({}).kafka.brokers).toEqual(['127.0.0.1:9092'])
    const moved = loadConfig({ KAFKA_PORT: '29092', MINIO_PORT: '29000', LAKE_URI: 's3://bkt' })
    expect(moved.kafka.brokers).toEqual(['127.0.0.1:29092'])
    expect(moved.s3.endpoint).toBe('http://127.0.0.1:29000')
  })

  it('is frozen, nested objects included', () => {
    const c = loadConfig({})
    expect(Object.isFrozen(c)).toBe(true)
    expect(Object.isFrozen(c.kafka)).toBe(true)
    expect(Object.isFrozen(c.kafka.brokers)).toBe(true)
  })

  it.each([
    ['PORT', '70000', /PORT="70000" must be an integer, >= 0, <= 65535/],
    ['PORT', 'eighty', /PORT="eighty" must be an integer/],
    ['KAFKA_BROKERS', 'localhost', /KAFKA_BROKERS="localhost" must be comma-separated host:port list/],
    ['KAFKA_PARTITIONS', '0', /KAFKA_PARTITIONS="0" must be an integer, >= 1/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL="loud" must be one of fatal, error, warn, info, debug, trace, silent/],
    ['S3_ENDPOINT', 'minio:9000', /S3_ENDPOINT="minio:9000" must be matching/],
    ['LOG_FORMAT', 'xml', /LOG_FORMAT="xml" must be .*one of auto, pretty, json/],
    ['BATCH_SCHEDULE', 'nightly', /BATCH_SCHEDULE="nightly" must be a cron expression/],
  ])('refuses %s=%s naming the variable and the rule', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(message)
    try {
      loadConfig({ [name]: value })
    } catch (err) {
      expect((err as { code: string }).code).toBe('PLAYCOUNT_CONFIG_INVALID')
    }
  })
})
