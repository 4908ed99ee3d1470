import { Partitioners } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { partitionerFor } from '../../../shared/partitioner.ts'
import { keyAt, lineAt, Packer, unpack } from '../../../tools/simulator/event-lines.ts'

describe('Packer', () => {
  it('packs lines and keys so that views give back the same bytes, NDJSON included', () => {
    const lines = ['{"a":1}', '{"name":"Björk — Jóga"}', '', 'x'.repeat(70_000), 'not json at all']
    const packer = new Packer(6)
    lines.forEach((l, i) => packer.add(`user-${i}`, l, 1000 + i))
    const b = unpack(packer.take().message)
    expect(packer.count).toBe(0)
    expect(b.count).toBe(lines.length)
    expect(b.lastAt).toBe(1004)
    expect(lines.map((_, i) => lineAt(b, i).toString())).toEqual(lines)
    expect(lines.map((_, i) => keyAt(b, i).toString())).toEqual(lines.map((_, i) => `user-${i}`))
    expect(b.values.toString()).toBe(lines.map((l) => `${l}\n`).join(''))
    expect([...b.partitions!]).toEqual(lines.map((_, i) => partitionerFor(6)(`user-${i}`)))
  })

  it('leaves partitions to the producer when no count is given', () => {
    const packer = new Packer(undefined)
    packer.add('k', 'v', 1)
    expect(unpack(packer.take().message).partitions).toBeUndefined()
  })

  it('computes the partition kafkajs itself would pick for a keyed message', () => {
    const kafkajs = Partitioners.DefaultPartitioner()
    const partitionMetadata = Array.from({ length: 12 }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
    }))
    const ours = partitionerFor(12)
    for (let i = 0; i < 200; i++) {
      const key = `u${i * 7919}`
      expect(ours(key)).toBe(kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }))
    }
  })
})
