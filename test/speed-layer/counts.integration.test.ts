import { describe, expect, it } from 'vitest'
import { eventually, testConfig } from '../helpers.ts'
import {
  ARTISTS,
  PROFILES,
  SONGS,
  catalog,
  groundTruth,
  makeEvents,
  settle,
  setupTopic,
  speed,
  truthRecord,
} from './fixtures.ts'
import { DIMENSION_NAMES } from '../../shared/dimensions.ts'
import { dayOfMs, formatDay } from '../../shared/day.ts'
import { breakdownOracle } from '../support/oracle.ts'
import { topicOffsets } from '../support/kafka-read.ts'

describe('speed layer counters (real broker)', () => {
  it('equal the ground truth with duplicates, late and invalid events, across a stop and a restart mid-stream', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '3' })
    const { produce } = await setupTopic(config)
    const part1 = makeEvents(1, 1500, { invalid: 6 })
    const part2 = makeEvents(2, 1500, { invalid: 6, resend: part1.events })
    const part3 = makeEvents(3, 1500, { invalid: 6, resend: part2.events })

    await produce(part1.messages)
    const first = speed(config, { instance: 'first' })
    await first.start()
    const t1 = truthRecord(groundTruth(part1.events))
    const a1 = await settle([first.view], 0, t1)
    expect(a1.ready).toBe(true)
    expect(a1.partitions).toEqual([0, 1, 2])
    expect(a1.truth).toEqual(t1)

    // Mid-stream: part 2 is being produced while the first instance stops; part 3 arrives while nobody runs.
    const producing = produce(part2.messages)
    await new Promise((r) => setTimeout(r, 50))
    await first.stop()
    await producing
    await produce(part3.messages)

    const second = speed(config, { instance: 'second' })
    await second.start()
    const all = truthRecord(groundTruth([...part1.events, ...part2.events, ...part3.events]))
    const a2 = await settle([second.view], 0, all)
    expect(a2.truth).toEqual(all)
    expect(second.isReady()).toBe(true)

    // Breakdowns through the broker and the engine thread equal the oracle (days and values with data).
    const events = [...part1.events, ...part2.events, ...part3.events]
    const days = events.map((e) => dayOfMs(e.ts))
    const truth = breakdownOracle(events, (id) => catalog.artistOf(id)!, new Map(PROFILES.map((p) => [p.userId, p])))
    const got: Record<string, unknown> = {}
    const entities = [
      ...SONGS.map((s) => ['song', s.songId] as const),
      ...ARTISTS.map((a) => ['artist', a.artistId] as const),
    ]
    for (const [kind, id] of entities) {
      for (const dimension of DIMENSION_NAMES) {
        const answer = await second.view.breakdown!({
          kind,
          id,
          dimension,
          from: Math.min(...days),
          to: Math.max(...days),
          watermark: 0,
        })
        expect(answer.ready).toBe(true)
        for (const [day, value, v] of answer.rows) got[`${kind}:${id}|${formatDay(day)}|${dimension}|${value}`] = v
      }
    }
    const nonZero = Object.fromEntries([...truth].filter(([, v]) => Object.values(v).some((x) => x !== 0)))
    expect(
      Object.keys(nonZero).some((k) => k.endsWith('|tier|premium')) &&
        Object.keys(nonZero).some((k) => k.endsWith('|tier|unknown')),
    ).toBe(true)
    expect(got).toEqual(nonZero)
    const status = await second.view.status()
    expect(status.partitions.map((p) => p.partition)).toEqual([0, 1, 2])

    // Every malformed message is counted by reason; the DLQ is the archiver's (one letter per bad message), so the
    // speed layer writes none. The consumer went on counting (above).
    const invalid = part1.invalid + part2.invalid + part3.invalid
    const rejected = await second.registry.getSingleMetricAsString('playcount_speed_rejected_total')
    const byReason: Record<string, number> = Object.fromEntries(
      [...rejected.matchAll(/reason="(\w+)"} (\d+)/g)].map((m) => [m[1], Number(m[2])]),
    )
    expect(Object.keys(byReason).sort()).toEqual(['bad_json', 'missing_field', 'unknown_song'])
    // The second instance rebuilt every partition from the start of the log, so it saw every bad message once.
    expect(Object.values(byReason).reduce((n, v) => n + v, 0)).toBe(invalid)
    const dlq = await topicOffsets(config, config.kafka.dlqTopic)
    expect(dlq.map((p) => p.high)).toEqual(['0'])
    // Keys held and listener ids come from the engine thread, refreshed with every manifest poll.
    const truthSongKeys = Object.entries(all)
      .filter(([k]) => k.startsWith('song:'))
      .reduce((n, [, days]) => n + Object.keys(days).length, 0)
    const held = await eventually(
      async () => {
        const keys = await second.registry.getSingleMetricAsString('playcount_speed_keys')
        const value = (kind: string): number => Number(new RegExp(`kind="${kind}"} (\\d+)`).exec(keys)?.[1] ?? 0)
        return value('song') > 0 ? { song: value('song'), listenerIds: value('listener_id') } : undefined
      },
      10_000,
      'the keys gauge',
    )
    // Each (day, song) with events is a cell of at least one arrival bucket.
    expect(held.song).toBeGreaterThanOrEqual(truthSongKeys)
    expect(held.listenerIds).toBeGreaterThan(0)
  })
})
