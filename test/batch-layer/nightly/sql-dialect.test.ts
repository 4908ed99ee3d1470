import { DIMENSIONS } from '../../../shared/dimensions.ts'
import { describe, expect, it } from 'vitest'
import { DUCKDB, SPARK } from '../../../batch-layer/nightly/sql-dialect.ts'
import { batchJobSql, mergePartialsSql, viewSql } from '../../../batch-layer/nightly/views-sql.ts'
import { METRICS, metricsSelectList } from '../../../shared/metrics.ts'
import { BATCH_VIEW_NAMES } from '../../../shared/views.ts'

describe('the view compiler', () => {
  it('compiles one definition to both dialects, each in its own spelling', () => {
    const duck = batchJobSql(DUCKDB, 'read_parquet([])', ['2024-03-01', '2024-03-03']).statements.join('\n')
    const spark = batchJobSql(SPARK, 'batch_files', ['2024-03-01', '2024-03-03']).statements.join('\n')
    for (const sql of [duck, spark]) expect(sql).toContain(metricsSelectList())
    expect(duck).toContain('GROUPING SETS')
    expect(duck).toContain(`CAST(ts AT TIME ZONE 'UTC' AS DATE) IN (DATE '2024-03-01', DATE '2024-03-03')`)
    expect(duck).toMatch(/ ANTI JOIN batch_dup_hashes h ON hash\(s\.event_id\)/)
    // Spark SQL has no QUALIFY, no multi-column GROUPING(), no AT TIME ZONE, no hash() of 64 bits.
    expect(spark).not.toMatch(/QUALIFY|GROUPING\(|AT TIME ZONE|[^4]\bhash\(/i)
    expect(spark).toContain("to_date(ts) IN (DATE '2024-03-01', DATE '2024-03-03')")
    expect(spark).toMatch(/LEFT ANTI JOIN batch_dup_hashes h ON xxhash64\(s\.event_id\)/)
    expect(spark).toContain('CACHE TABLE batch_agg AS')
    // The four grouped views, and one set per (song|artist, dimension) for the breakdowns.
    expect(spark.match(/GROUP BY day, /g)).toHaveLength(4 + 2 * DIMENSIONS.length)
    expect(spark).toContain(`lpad(CAST(hour(e.ts) AS STRING), 2, '0')`)
    for (const v of BATCH_VIEW_NAMES) expect(viewSql(v, 'batch_agg')).toContain(METRICS.map((m) => m.column).join(', '))
  })

  it("gives Spark a grouping id equal to DuckDB's GROUPING over the same columns", () => {
    expect(SPARK.groupingId(['a', 'b', 'c', 'd'])).toBe(
      'grouping(a) * 8 + grouping(b) * 4 + grouping(c) * 2 + grouping(d) * 1',
    )
    expect(DUCKDB.groupingId(['a', 'b'])).toBe('GROUPING(a, b)')
  })

  it('merges partial aggregates by sum, every metric included', () => {
    const sql = mergePartialsSql('p')
    for (const m of METRICS) expect(sql).toContain(`CAST(sum(${m.column}) AS BIGINT) AS ${m.column}`)
    expect(sql).toContain('max(song_artist_id) AS song_artist_id')
  })
})
