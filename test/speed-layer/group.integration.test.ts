import { describe, expect, it } from 'vitest'
import { testConfig } from '../helpers.ts'
import { groundTruth, makeEvents, settle, setupTopic, speed, truthRecord } from './fixtures.ts'

describe('speed layer instances in one consumer group (real broker)', () => {
  it('split the partitions, and the one that stays rebuilds the partitions it gains to the full, correct state', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '4' })
    const { produce } = await setupTopic(config)
    const part1 = makeEvents(11, 2000, { invalid: 4 })
    const part2 = makeEvents(12, 2000, { invalid: 4, resend: part1.events })
    await produce(part1.messages)

    const a = speed(config, { instance: 'a' })
    const b = speed(config, { instance: 'b' })
    await Promise.all([a.start(), b.start()])
    const t1 = truthRecord(groundTruth(part1.events))
    const both = await settle([a.view, b.view], 0, t1)
    expect(both.truth).toEqual(t1)
    // Together they cover every partition exactly once; each holds some.
    expect(both.partitions).toEqual([0, 1, 2, 3])
    const [sa, sb] = await Promise.all([a.view.status(), b.view.status()])
    expect(sa.partitions.length).toBeGreaterThan(0)
    expect(sb.partitions.length).toBeGreaterThan(0)

    await b.stop()
    await produce(part2.messages)
    const all = truthRecord(groundTruth([...part1.events, ...part2.events]))
    const alone = await settle([a.view], 0, all)
    expect(alone.truth).toEqual(all)
    expect(alone.partitions).toEqual([0, 1, 2, 3])
    expect((await a.view.status()).ready).toBe(true)
  })
})
