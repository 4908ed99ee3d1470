import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeListeners } from '../../../shared/catalog/listeners.ts'
import { describe, expect, it, onTestFinished } from 'vitest'
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { openSqlSession, type SqlSession } from '../../../batch-layer/sql/session.ts'
import type { Config } from '../../../shared/config.ts'
import { openLake, type Lake } from '../../../shared/lake.ts'
import { HOUR_MS, VIEWS_MANIFEST_KEY } from '../../../shared/layout.ts'
import { createLogger } from '../../../shared/logger.ts'
import { testConfig, testS3Config } from '../../helpers.ts'
import { groundTruth, makeEvents, writeArchive, writeCatalog, writeProgress } from '../nightly/fixture.ts'

const here = path.dirname(fileURLToPath(import.meta.url))
const T0 = Date.parse('2024-03-01T20:00:00Z')
const W = T0 + 3 * HOUR_MS
const events = makeEvents({ n: 300, seed: 9, arrivalFrom: T0, arrivalSpanMs: 3 * HOUR_MS, partitions: 2 })

async function lakeWithViews(config: Readonly<Config>): Promise<{ lake: Lake; sql: SqlSession }> {
  const lake = openLake(config)
  await writeArchive(config, lake, events)
  await writeCatalog(config, lake)
  await writeListeners(config, lake, [
    { userId: 'u1', country: 'SE', birthYear: 1990, gender: 'female', tier: 'premium', signupDate: '2023-05-01' },
    { userId: 'u2', country: null, birthYear: null, gender: 'unspecified', tier: 'free', signupDate: null },
  ])
  await writeProgress(config, lake, W)
  await runBatch(config, { lake, log: createLogger({ level: 'silent' }) })
  const sql = await openSqlSession(config, lake)
  onTestFinished(() => {
    sql.close()
    lake.close()
  })
  return { lake, sql }
}

const examples = [
  ...fs
    .readFileSync(path.join(here, '../../../batch-layer/sql/EXAMPLES.md'), 'utf8')
    .matchAll(/```sql\n([\s\S]*?)```/g),
].map((m) => m[1]!)

describe('playcount sql session', () => {
  it('answers over the views, refuses writes and reads outside the lake (local lake)', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '2' })
    const { lake, sql } = await lakeWithViews(config)
    expect(sql.views).toEqual(
      expect.arrayContaining([
        'events',
        'song_daily',
        'artist_daily',
        'songs',
        'artists',
        'listeners',
        'song_breakdown_daily',
        'artist_breakdown_daily',
      ]),
    )
    expect((await sql.query(`SELECT count(*) FROM listeners`)).rows).toEqual([[2]])
    expect((await sql.query('SELECT count(*) AS n FROM events')).rows).toEqual([[events.length]])
    const truth = [...groundTruth(events, W).song_daily!.values()].reduce((a, v) => a + v.plays, 0)
    expect((await sql.query('SELECT sum(plays) FROM song_daily')).rows).toEqual([[truth]])
    const joined = await sql.query(
      `SELECT s.title, a.name FROM song_daily d JOIN songs s USING (song_id) JOIN artists a ON a.artist_id = d.artist_id LIMIT 1`,
    )
    expect(joined.rows[0]).toEqual([expect.stringMatching(/^Song /), expect.stringMatching(/^Artist /)])
    expect((await sql.query('DESCRIBE song_daily')).rows.map((r) => r[0])).toContain('listeners')
    expect((await sql.query(`-- a comment\nEXPLAIN SELECT * FROM events`)).columns.length).toBeGreaterThan(0)
    // Reading the lake's own files directly is fine.
    expect(
      (await sql.query(`SELECT count(*) FROM read_parquet('${lake.location('events')}/*/*/*.parquet')`)).rows,
    ).toEqual([[events.length]])

    const forbidden = [
      `COPY (SELECT * FROM events) TO '${lake.location('stolen.csv')}'`,
      `COPY (SELECT 1) TO '/tmp/x.csv'`,
      'CREATE TABLE t AS SELECT 1',
      'INSERT INTO songs VALUES (1)',
      'WITH x AS (SELECT 1) INSERT INTO songs SELECT * FROM x',
      'DROP VIEW events',
      'SET enable_external_access = true',
      `ATTACH '${lake.location('x.duckdb')}'`,
      'SELECT 1; DROP VIEW events',
      `EXPLAIN ANALYZE COPY (SELECT 1) TO '${lake.location('y.csv')}'`,
      'CALL pragma_version()',
      `SELECT * FROM read_csv('/etc/passwd')`,
      `SELECT * FROM read_text('${lake.location('..')}/../../../etc/passwd')`,
      `SELECT * FROM glob('/etc/*')`,
      `SELECT * FROM read_text('${lake.location('events')}/../../x?s3_endpoint=127.0.0.1:1')`,
      `SELECT * FROM read_text('s3://bucket/x?s3_endpoint=127.0.0.1:1')`,
      `SELECT * FROM read_text('http://127.0.0.1:1/x')`,
    ]
    for (const q of forbidden) await expect(sql.query(q), q).rejects.toMatchObject({ code: 'PLAYCOUNT_SQL_FORBIDDEN' })
    expect(await lake.list('stolen')).toEqual([])
    expect(fs.existsSync(lake.location('y.csv'))).toBe(false)

    for (const q of examples) expect((await sql.query(q)).rows.length, q).toBeGreaterThan(0)
    expect(examples).toHaveLength(10)
  })

  it('reads an S3 lake and nothing outside its prefix', async () => {
    const config = await testS3Config({ KAFKA_PARTITIONS: '2' })
    const { lake, sql } = await lakeWithViews(config)
    expect((await sql.query('SELECT count(DISTINCT event_id) FROM events')).rows).toEqual([[events.length]])
    expect(
      (await sql.query(`SELECT count(*) FROM read_parquet('${lake.location('catalog/songs.parquet')}')`)).rows,
    ).toEqual([[6]])
    const bucket = /^s3:\/\/([^/]+)\//.exec(lake.location(''))![1]
    // Another server, standing in for anyone's: httpfs sends it a signed request if a lake URL can name it.
    const requests: string[] = []
    const server = http.createServer((req, res) => {
      requests.push(`${req.method} ${req.url}`)
      res.end('from elsewhere')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const elsewhere = `127.0.0.1:${(server.address() as AddressInfo).port}`
    const songs = lake.location('catalog/songs.parquet')
    for (const q of [
      `SELECT * FROM read_parquet('s3://${bucket}/elsewhere/x.parquet')`,
      `SELECT * FROM read_csv('/etc/passwd')`,
      `COPY (SELECT 1) TO '${lake.location('z.csv')}'`,
      `SELECT * FROM read_text('${lake.location('')}../../x?s3_endpoint=${elsewhere}')`,
      `SELECT * FROM read_text('${songs}?s3_endpoint=${elsewhere}')`,
      `SELECT * FROM read_text('${lake.location('catalog')}' || chr(47) || 'songs.parquet' || chr(63) || 's3_endpoint=${elsewhere}')`,
      `SELECT * FROM read_text('${songs}#x')`,
      `SELECT * FROM read_text('${lake.location('')}%2e%2e/elsewhere/x')`,
      `SELECT * FROM read_text('${lake.location('')}../elsewhere/x')`,
      `SELECT * FROM read_text('http://${elsewhere}/x')`,
      // Globs too: an S3 lake is allowed object by object.
      `SELECT * FROM glob('${lake.location('')}*')`,
    ]) {
      await expect(sql.query(q), q).rejects.toMatchObject({ code: 'PLAYCOUNT_SQL_FORBIDDEN' })
    }
    // A manifest naming an object with a query string is refused before DuckDB sees the name.
    await lake.putBytes(
      VIEWS_MANIFEST_KEY,
      JSON.stringify({ views: { song_daily: [`views/song_daily/day=2024-03-01.parquet?s3_endpoint=${elsewhere}`] } }),
    )
    await expect(openSqlSession(config, lake)).rejects.toMatchObject({
      code: 'PLAYCOUNT_SQL_FORBIDDEN',
      message: expect.stringContaining('not plain'),
    })
    expect(requests).toEqual([])
  })
})
