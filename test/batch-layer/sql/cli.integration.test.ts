/** `playcount batch`, `playcount batch --history` and `playcount sql` as a person runs them. */
import { execFile } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import type { Config } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'
import { HOUR_MS } from '../../../shared/layout.ts'
import { testConfig } from '../../helpers.ts'
import { makeEvents, writeArchive, writeCatalog, writeProgress } from '../nightly/fixture.ts'

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/playcount.js')
const T0 = Date.parse('2024-03-01T20:00:00Z')

async function playcount(config: Readonly<Config>, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = { ...process.env, LAKE_URI: config.lakeUri, PLAYCOUNT_HOME: config.home, KAFKA_PARTITIONS: String(config.kafka.partitions),
    KAFKA_TOPIC: config.kafka.topic, LOG_LEVEL: 'warn' }
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], { env })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('playcount batch and sql', () => {
  it('runs, shows progress and history, and answers queries read-only', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const lake = openLake(config)
    const events = makeEvents({ n: 100, seed: 4, arrivalFrom: T0, arrivalSpanMs: 2 * HOUR_MS, partitions: 2 })
    await writeArchive(config, lake, events)
    await writeCatalog(config, lake)
    await writeProgress(config, lake, T0 + 2 * HOUR_MS)
    lake.close()

    const run = await playcount(config, ['batch'])
    expect(run.code).toBe(0)
    expect(run.stderr).toMatch(/\[aggregate\] recomputing 1 days from \d+ files[\s\S]*\[manifest\] publishing the manifest/)
    expect(run.stdout).toContain('2024-03-01')
    const history = await playcount(config, ['batch', '--history'])
    expect(history.stdout).toMatch(/cli\s+│ ok\s+│[\s\S]*→ 2024-03-01T22:00Z/)

    const json = await playcount(config, ['sql', '--format', 'json', 'SELECT count(*) AS n FROM events'])
    expect(JSON.parse(json.stdout)).toEqual([{ n: events.length }])
    const refused = await playcount(config, ['sql', `COPY events TO '${config.lakeUri}/x.csv'`])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('PLAYCOUNT_SQL_FORBIDDEN')
  })
})
