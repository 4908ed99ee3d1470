import { describe, expect, it } from 'vitest'
import { testConfig } from '../helpers.ts'
import { groundTruth, makeEvents, settle, setupTopic, speed, truthRecord } from './fixtures.ts'

describe('speed layer engine thread (real broker)', () => {
  it('dies mid-rebuild, is replaced, and the partitions are rebuilt from the log to the full, correct state', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '3' })
    const { produce } = await setupTopic(config)
    const part1 = makeEvents(11, 3000, { invalid: 6 })
    const part2 = makeEvents(12, 1500, { invalid: 6, resend: part1.events })
    await produce(part1.messages)
    // The first engine thread exits after taking 1000 of the 3000+ messages: counts it held are gone.
    const layer = speed(config, { instance: 'crashing', engineExitAfter: 1000 })
    await layer.start()
    try {
      const t1 = truthRecord(groundTruth(part1.events))
      const a1 = await settle([layer.view], 0, t1)
      expect(a1.ready).toBe(true)
      expect(a1.truth).toEqual(t1)
      // The replacement engine keeps counting what arrives afterwards, duplicates of part 1 included.
      await produce(part2.messages)
      const all = truthRecord(groundTruth([...part1.events, ...part2.events]))
      expect((await settle([layer.view], 0, all)).truth).toEqual(all)
      const restarts = await layer.registry.getSingleMetricAsString('playcount_speed_engine_restarts_total')
      expect(restarts).toMatch(/playcount_speed_engine_restarts_total 1$/m)
    } finally {
      await layer.stop()
    }
  })
})
