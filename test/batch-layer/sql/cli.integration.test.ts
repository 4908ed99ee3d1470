/** `playcount batch`, `playcount batch --history` and `playcount sql` as a person runs them. */
import { execFile } from 'node:child_process'
import fs from 'node:fs'
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

async function playcount(
  config: Readonly<Config>,
  args: string[],
  cwd?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    LAKE_URI: config.lakeUri,
    PLAYCOUNT_HOME: config.home,
    KAFKA_PARTITIONS: String(config.kafka.partitions),
    KAFKA_TOPIC: config.kafka.topic,
    LOG_LEVEL: 'warn',
  }
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [bin, ...args], {
      env,
      ...(cwd ? { cwd } : {}),
    })
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
    expect(run.stderr).toMatch(
      /\[aggregate\] recomputing 1 days from \d+ files[\s\S]*\[manifest\] publishing the manifest/,
    )
    expect(run.stdout).toContain('2024-03-01')
    const history = await playcount(config, ['batch', '--history'])
    expect(history.stdout).toMatch(/cli\s+│ ok\s+│[\s\S]*→ 2024-03-01T22:00Z/)

    const json = await playcount(config, ['sql', '--format', 'json', 'SELECT count(*) AS n FROM events'])
    expect(JSON.parse(json.stdout)).toEqual([{ n: events.length }])
    const refused = await playcount(config, ['sql', `COPY events TO '${config.lakeUri}/x.csv'`])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toContain('PLAYCOUNT_SQL_FORBIDDEN')
  })

  it('prints a failed query as one line with its code, exits 1, and leaves no temp folder', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '1' })
    const lake = openLake(config)
    await writeArchive(
      config,
      lake,
      makeEvents({ n: 20, seed: 5, arrivalFrom: T0, arrivalSpanMs: HOUR_MS, partitions: 1 }),
    )
    lake.close()
    // DuckDB's default temp folder is `.tmp` in the working folder, and a session may read its temp folder.
    const cwd = path.join(config.home, 'cwd')
    fs.mkdirSync(path.join(cwd, '.tmp'), { recursive: true })
    fs.writeFileSync(path.join(cwd, '.tmp', 'secret.txt'), 'the secret')

    const cases: Array<{ args: string[]; line: RegExp }> = [
      {
        args: ['sql', 'SELECT 1 +'],
        line: /^PLAYCOUNT_SQL_INVALID: Query failed: Parser Error: syntax error at end of input$/,
      },
      {
        args: ['sql', 'SELECT * FROM nowhere'],
        line: /^PLAYCOUNT_SQL_INVALID: Query failed: Catalog Error: Table with name nowhere does not exist!/,
      },
      {
        args: ['sql', '--timeout', '1', 'SELECT sum(i) FROM range(10000000000000) t(i)'],
        line: /^PLAYCOUNT_SQL_TIMEOUT: .*1 s time limit; raise it with --timeout <seconds>$/,
      },
      {
        args: ['sql', "SELECT content FROM read_text('.tmp/secret.txt')"],
        line: /^PLAYCOUNT_SQL_FORBIDDEN: Query refused: only the lake can be read here: Permission Error: Cannot access file ".tmp\/secret.txt"/,
      },
    ]
    for (const { args, line } of cases) {
      const t0 = Date.now()
      const run = await playcount(config, args, cwd)
      expect(run.code, args.join(' ')).toBe(1)
      expect(run.stdout, args.join(' ')).toBe('')
      expect(run.stderr.trimEnd().split('\n'), args.join(' ')).toEqual([expect.stringMatching(line)])
      expect(Date.now() - t0).toBeLessThan(30_000)
      expect(fs.readdirSync(path.join(config.home, 'tmp'))).toEqual([])
    }
  })
})
