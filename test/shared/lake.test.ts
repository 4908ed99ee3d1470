import { describe, expect, it } from 'vitest'
import { loadConfig } from '../../shared/config.ts'
import { isPlainKey, openLake } from '../../shared/lake.ts'

describe('lake URIs and keys', () => {
  it('opens an s3 lake only with a plain bucket and prefix', () => {
    for (const uri of ['s3://bkt', 's3://bkt/lake', 's3://my.bkt-1/a/b=c/d_e'])
      openLake(loadConfig({ LAKE_URI: uri })).close()
    for (const uri of [
      's3://bkt/lake/../other',
      's3://bkt/./lake',
      's3://bkt/lake?s3_endpoint=evil:9000',
      's3://bkt/lake#x',
      's3://bkt/%2e%2e/x',
      's3://bkt//lake',
      's3://bkt/la ke',
      's3://bkt/lake\\x',
      's3://Bkt/lake',
      's3://b..k/lake',
      's3://bkt:9000/lake',
    ]) {
      expect(() => openLake(loadConfig({ LAKE_URI: uri })), uri).toThrow(
        expect.objectContaining({ code: 'PLAYCOUNT_LAKE_URI_INVALID' }),
      )
    }
  })

  it('calls a key plain only when no reader can take it for another place', () => {
    expect(isPlainKey('events/dt=2024-03-01/hour=20/part-p0-o1.parquet')).toBe(true)
    for (const key of ['a/../b', './a', 'a//b', 'a?x=1', 'a#b', 'a%2e', 'a\\b', '', 'a/', 'a b'])
      expect(isPlainKey(key), key).toBe(false)
  })
})
