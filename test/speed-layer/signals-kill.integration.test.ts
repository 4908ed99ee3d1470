/**
 * kill -9 of a real `playcount start speed` process mid-stream: the restarted process rebuilds every partition from
 * the log, re-detects every crossing, and sends exactly those the first one had not sent. The signals topic ends
 * with exactly the oracle's signals, each id once.
 */
import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { writeCatalog } from '../../shared/catalog/generate.ts'
import { openLake } from '../../shared/lake.ts'
import { childEnv, CliProcess } from '../cli/cli-process.ts'
import { eventually, testConfig } from '../helpers.ts'
import { ARTISTS, SONGS, setupTopic } from './fixtures.ts'
import {
  byId,
  comparable,
  expectedSignals,
  readSignals,
  rulesFile,
  signalEvents,
  waitForSignals,
} from './signals-fixtures.ts'

async function freePort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as net.AddressInfo).port
  await new Promise((resolve) => server.close(resolve))
  return port
}

describe('interest signals across kill -9 (real broker, real process)', () => {
  it("a speed process killed mid-stream and restarted leaves exactly the oracle's signals, no id twice", async () => {
    const rules = rulesFile()
    const config = testConfig({ KAFKA_PARTITIONS: '3', SIGNAL_RULES_FILE: rules })
    const { produce } = await setupTopic(config)
    const lake = openLake(config)
    await writeCatalog(config, lake, { artists: ARTISTS, songs: SONGS }).finally(() => lake.close())
    const port = await freePort()
    const env = childEnv(config, { SIGNAL_RULES_FILE: rules, PORT: String(port) })

    const from = Date.now() - 10 * 3600_000
    const part1 = signalEvents(11, 6000, from)
    const part2 = signalEvents(12, 6000, part1.events.at(-1)!.ts, part1.events)
    const part3 = signalEvents(13, 2000, part2.events.at(-1)!.ts, part2.events)
    await produce(part1.messages)
    const first = new CliProcess(['start', 'speed'], env)
    await first.line(/roles: speed/)
    // Killed as soon as it has sent its first signals, while part 2 is still being produced.
    const producing = produce(part2.messages)
    const atKill = await eventually(
      async () => {
        const n = (await readSignals(config)).length
        return n > 0 ? n : undefined
      },
      60_000,
      'the first signals',
    )
    first.child.kill('SIGKILL')
    await first.exited
    await producing
    await produce(part3.messages)
    const want = expectedSignals([...part1.messages, ...part2.messages, ...part3.messages])
    expect(atKill).toBeLessThan(want.length)

    const second = new CliProcess(['start', 'speed'], env)
    await second.line(/roles: speed/)
    await waitForSignals(config, want.length, 90_000)
    // Ready: every partition rebuilt up to the end of the log seen at start, i.e. every message produced above.
    await eventually(
      async () =>
        (await fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        ))
          ? true
          : undefined,
      90_000,
      'the second speed process ready',
    )
    const metrics = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text())
    second.child.kill('SIGTERM')
    expect(await second.exit()).toBe(0)

    const got = await readSignals(config)
    expect(new Set(got.map((s) => s.id)).size).toBe(got.length)
    expect(got.map(comparable).sort(byId)).toEqual(want.map(comparable).sort(byId))
    // The restarted process re-detected what the first had sent, and suppressed it by id.
    expect(
      Number(/playcount_speed_signals_total\{outcome="suppressed"\} (\d+)/.exec(metrics)?.[1] ?? 0),
    ).toBeGreaterThanOrEqual(atKill)
  })
})
