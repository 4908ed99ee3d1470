import { describe, expect, it } from 'vitest'
import { testConfig } from '../helpers.ts'
import { setupTopic, speed } from './fixtures.ts'
import {
  byId,
  comparable,
  expectedSignals,
  readSignals,
  rulesFile,
  signalEvents,
  waitForSignals,
} from './signals-fixtures.ts'

describe('interest signals (real broker)', () => {
  it('equal the oracle with retries and late events, across a stop mid-stream and a full rebuild, and no id is sent twice', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '3', SIGNAL_RULES_FILE: rulesFile() })
    const { produce } = await setupTopic(config)
    const from = Date.now() - 8 * 3600_000
    const part1 = signalEvents(1, 1500, from)
    const part2 = signalEvents(2, 1500, part1.events.at(-1)!.ts, part1.events)
    const part3 = signalEvents(3, 1500, part2.events.at(-1)!.ts, part2.events)

    await produce(part1.messages)
    const first = speed(config, { instance: 'first' })
    await first.start()
    const want1 = expectedSignals(part1.messages)
    expect(want1.length).toBeGreaterThan(50)
    const got1 = await waitForSignals(config, want1.length)
    expect(got1.map(comparable).sort(byId)).toEqual(want1.map(comparable).sort(byId))

    // Part 2 is being produced while the first instance stops; part 3 arrives while nobody runs. The second instance
    // rebuilds every partition from the start of the log (no watermark yet) and re-detects every crossing.
    const producing = produce(part2.messages)
    await new Promise((r) => setTimeout(r, 50))
    await first.stop()
    await producing
    await produce(part3.messages)
    const second = speed(config, { instance: 'second' })
    await second.start()
    const all = [...part1.messages, ...part2.messages, ...part3.messages]
    const want = expectedSignals(all)
    await waitForSignals(config, want.length)
    // Stopping waits for every detected signal to be sent or suppressed: what the topic holds then is final.
    await second.stop()
    const got = await readSignals(config)
    expect(got.map(comparable).sort(byId)).toEqual(want.map(comparable).sort(byId))
    expect(new Set(got.map((s) => s.id)).size).toBe(got.length)
    const counts = await second.registry.getSingleMetricAsString('playcount_speed_signals_total')
    expect(Number(/outcome="suppressed"} (\d+)/.exec(counts)?.[1] ?? 0)).toBeGreaterThanOrEqual(want1.length)
  })
})
