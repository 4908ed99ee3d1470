/**
 * A team producing to the topic directly (README, "Producing to the topic directly"): with the Java client's
 * murmur2 partitioner on the userId key (kcat: -X partitioner=murmur2_random) its messages land where the
 * collector's do, so a retry of an event the collector already sent counts once. With librdkafka's default
 * (consistent_random, a CRC32 of the key) some listeners land elsewhere, and the speed layer, which remembers
 * eventIds per partition, counts those retries twice until the next batch run: why the rule exists.
 */
import { execFileSync } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { partitionerFor } from '../../shared/partitioner.ts'
import type { Config } from '../../shared/config.ts'
import { encodeEvent, type ListenEvent } from '../../shared/event.ts'
import { eventually, testConfig } from '../helpers.ts'
import { groundTruth, realtimeAll, settle, setupTopic, SONGS, speed, truthRecord } from '../speed-layer/fixtures.ts'
import { readTopic } from '../support/kafka-read.ts'

const PARTITIONS = 6

function listens(n: number): ListenEvent[] {
  const now = Date.now()
  return Array.from({ length: n }, (_, i) => ({
    eventId: `direct-${i}`,
    ts: now - i * 1000,
    userId: `listener-${i}`,
    songId: SONGS[i % SONGS.length]!.songId,
    type: 'play',
  }))
}

/** Sends the events the way the collector does: kafkajs, key userId, partition from shared/partitioner.ts. */
async function produceAsCollector(config: Readonly<Config>, events: ListenEvent[]): Promise<void> {
  const { producer } = await setupTopic(config)
  const partitionOf = partitionerFor(PARTITIONS)
  await producer.send({
    topic: config.kafka.topic,
    messages: events.map((e) => ({ key: e.userId, value: encodeEvent(e), partition: partitionOf(e.userId) })),
  })
}

/** Sends the events with kcat (librdkafka), keyed by userId, with the given partitioner (undefined: kcat's default). */
function produceWithKcat(config: Readonly<Config>, events: ListenEvent[], partitioner?: string): void {
  const args = ['-P', '-b', config.kafka.brokers.join(','), '-t', config.kafka.topic, '-K', '\t']
  if (partitioner !== undefined) args.push('-X', `partitioner=${partitioner}`)
  execFileSync('kcat', args, { input: events.map((e) => `${e.userId}\t${encodeEvent(e)}\n`).join(''), timeout: 30_000 })
}

/** Each eventId's partitions, from what is on the topic. */
async function partitionsByEvent(config: Readonly<Config>, expected: number): Promise<Map<string, Set<number>>> {
  const out = new Map<string, Set<number>>()
  for (const m of await readTopic(config, expected)) {
    const id = (JSON.parse(m.value) as ListenEvent).eventId
    out.set(id, (out.get(id) ?? new Set()).add(m.partition))
  }
  return out
}

describe('producing to the topic directly', () => {
  it('kcat with murmur2_random puts every listener where the collector does, and its retries count once', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: String(PARTITIONS) })
    const events = listens(60)
    await produceAsCollector(config, events)
    produceWithKcat(config, events, 'murmur2_random')

    const where = await partitionsByEvent(config, events.length * 2)
    const split = [...where].filter(([, ps]) => ps.size !== 1).map(([id]) => id)
    expect(split).toEqual([])
    // And the partition is the collector's for that listener.
    const partitionOf = partitionerFor(PARTITIONS)
    expect(events.every((e) => where.get(e.eventId)?.has(partitionOf(e.userId)))).toBe(true)

    const layer = speed(config)
    await layer.start()
    const truth = truthRecord(groundTruth(events))
    const answer = await settle([layer.view], 0, truth)
    expect(answer.truth).toEqual(truth)
  })

  it('kcat with its default partitioner puts some listeners elsewhere, and the speed layer counts those retries twice', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: String(PARTITIONS) })
    const events = listens(60)
    await produceAsCollector(config, events)
    produceWithKcat(config, events)

    const where = await partitionsByEvent(config, events.length * 2)
    const twice = [...where].filter(([, ps]) => ps.size === 2).length
    expect(twice).toBeGreaterThan(0)

    const layer = speed(config)
    await layer.start()
    // Every event is one play; a retry in another partition is a second one.
    const plays = async (): Promise<number> => {
      const { truth } = await realtimeAll([layer.view], 0)
      return Object.entries(truth)
        .filter(([k]) => k.startsWith('song:'))
        .reduce((n, [, days]) => n + Object.values(days).reduce((m, v) => m + (v.plays ?? 0), 0), 0)
    }
    const counted = await eventually(
      async () => {
        const n = await plays()
        return n >= events.length + twice ? n : undefined
      },
      30_000,
      'the speed layer to count every copy',
    )
    expect(counted).toBe(events.length + twice)
  })
})
