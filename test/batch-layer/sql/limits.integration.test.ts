/** `playcount sql` sessions are bounded: time, memory, a private temp folder; and a PIVOT is one statement. */
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { SQL_LIMITS, type SqlLimits } from '../../../batch-layer/sql/limits.ts'
import { openSqlSession, type SqlSession } from '../../../batch-layer/sql/session.ts'
import type { Config } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'
import { HOUR_MS, VIEWS_MANIFEST_KEY } from '../../../shared/layout.ts'
import { testConfig } from '../../helpers.ts'
import { makeEvents, writeArchive } from '../nightly/fixture.ts'

const T0 = Date.parse('2024-03-01T20:00:00Z')
const events = makeEvents({ n: 200, seed: 3, arrivalFrom: T0, arrivalSpanMs: 2 * HOUR_MS, partitions: 1 })

async function session(config: Readonly<Config>, limits: Partial<SqlLimits> = {}): Promise<SqlSession> {
  const lake = openLake(config)
  await writeArchive(config, lake, events)
  const sql = await openSqlSession(config, lake, { ...SQL_LIMITS, ...limits })
  onTestFinished(() => {
    sql.close()
    lake.close()
  })
  return sql
}

describe('playcount sql limits', () => {
  it('stops a statement at the time limit with an error naming the limit, and the session goes on', async () => {
    const sql = await session(testConfig(), { timeoutMs: 1000 })
    const t0 = Date.now()
    const err = await sql.query('SELECT sum(i) FROM range(10000000000000) t(i)').catch((e: unknown) => e)
    const elapsed = Date.now() - t0
    expect(err).toMatchObject({
      code: 'PLAYCOUNT_SQL_TIMEOUT',
      message: expect.stringMatching(/1 s time limit; raise it with --timeout/),
    })
    expect(elapsed).toBeGreaterThanOrEqual(1000)
    expect(elapsed).toBeLessThan(5000)
    expect((await sql.query('SELECT count(*) FROM events')).rows).toEqual([[events.length]])
  })

  it('stops a statement at the memory limit with an error naming the limit', async () => {
    const sql = await session(testConfig(), { memoryLimit: '256MB' })
    // A list cannot spill: 300M values need ~2.4 GB.
    await expect(sql.query('SELECT length(list(i)) FROM range(300000000) t(i)')).rejects.toMatchObject({
      code: 'PLAYCOUNT_SQL_MEMORY_LIMIT',
      message: expect.stringMatching(/256MB memory limit; raise it with --memory-limit/),
    })
    expect((await sql.query('SELECT 1 AS one')).rows).toEqual([[1]])
  })

  it('refuses a result with more rows than allowed, naming the limit', async () => {
    const sql = await session(testConfig(), { maxRows: 5000 })
    expect((await sql.query('SELECT i FROM range(5000) t(i)')).rows).toHaveLength(5000)
    await expect(sql.query('SELECT i FROM range(20000) t(i)')).rejects.toMatchObject({
      code: 'PLAYCOUNT_SQL_TOO_MANY_ROWS',
      message: expect.stringMatching(/more than 5000 rows; add a LIMIT or raise it with --max-rows/),
    })
    expect((await sql.query('SELECT count(*) FROM events')).rows).toEqual([[events.length]])
  })

  it("spills into a private temp folder that close() deletes, and cannot read the working folder's .tmp", async () => {
    const config = testConfig()
    const sql = await session(config, { memoryLimit: '64MB' })
    expect(path.dirname(sql.tempDirectory)).toBe(path.join(config.home, 'tmp'))
    expect(fs.statSync(sql.tempDirectory).mode & 0o777).toBe(0o700)
    expect((await sql.query(`SELECT current_setting('temp_directory')`)).rows).toEqual([[sql.tempDirectory]])
    // Sorting ~200 MB of rows under a 64 MB limit has to spill.
    expect(
      (await sql.query('SELECT count(*) FROM (SELECT i, i::VARCHAR AS s FROM range(5000000) t(i) ORDER BY s DESC)'))
        .rows,
    ).toEqual([[5_000_000]])
    const dotTmp = path.join(process.cwd(), '.tmp')
    await expect(sql.query(`SELECT * FROM glob('${dotTmp}/*')`)).rejects.toMatchObject({
      code: 'PLAYCOUNT_SQL_FORBIDDEN',
    })
    sql.close()
    expect(fs.existsSync(sql.tempDirectory)).toBe(false)
  })

  it('deletes the temp folder when the session fails to open', async () => {
    const config = testConfig()
    const lake = openLake(config)
    onTestFinished(() => lake.close())
    await lake.putBytes(
      VIEWS_MANIFEST_KEY,
      JSON.stringify({ views: { song_daily: ['views/song_daily/day=2024-03-01.parquet'] } }),
    )
    await expect(openSqlSession(config, lake)).rejects.toThrow(/day=2024-03-01\.parquet/)
    expect(fs.readdirSync(path.join(config.home, 'tmp'))).toEqual([])
  })

  it('runs a PIVOT without an IN list as one statement, and still refuses two statements', async () => {
    const sql = await session(testConfig())
    const pivot = await sql.query('PIVOT events ON type USING count(*) GROUP BY device ORDER BY device')
    const types = [...new Set(events.map((e) => e.type))].sort()
    expect(pivot.columns).toEqual(['device', ...types])
    const total = pivot.rows.reduce((a, r) => a + (r.slice(1) as number[]).reduce((x, y) => x + y, 0), 0)
    expect(total).toBe(events.length)
    expect((await sql.query('SELECT * FROM (PIVOT (SELECT type FROM events) ON type USING count(*)) p')).rows).toEqual([
      types.map((t) => events.filter((e) => e.type === t).length),
    ])
    for (const q of [
      'PIVOT events ON type USING count(*); DROP VIEW events',
      'SELECT 1; SELECT 2',
      'PIVOT events ON type USING count(*); PIVOT events ON device USING count(*)',
    ]) {
      await expect(sql.query(q), q).rejects.toMatchObject({
        code: 'PLAYCOUNT_SQL_FORBIDDEN',
        message: expect.stringContaining('one statement at a time'),
      })
    }
    expect((await sql.query('SELECT count(*) FROM events')).rows).toEqual([[events.length]])
  })
})
