import { describe, expect, it } from 'vitest'
import { nextManifest, viewFileKey } from '../../../batch-layer/nightly/manifest.ts'
import { requestedDays } from '../../../batch-layer/nightly/plan.ts'
import { groupedAggregateSql, viewSql } from '../../../batch-layer/nightly/views-sql.ts'
import { METRICS, metricSql } from '../../../shared/metrics.ts'
import { BATCH_VIEW_NAMES, viewFileDay, viewFiles } from '../../../shared/views.ts'

describe('the views manifest', () => {
  const prev = nextManifest(undefined, {
    runId: 'r1',
    watermark: 1000,
    recomputed: new Set(['2024-03-01', '2024-03-02']),
    written: Object.fromEntries(
      BATCH_VIEW_NAMES.map((v) => [
        v,
        { '2024-03-01': viewFileKey('r1', v, '2024-03-01'), '2024-03-02': viewFileKey('r1', v, '2024-03-02') },
      ]),
    ),
  })

  it('keeps the previous files of days not recomputed and replaces (or drops) the recomputed ones', () => {
    const next = nextManifest(prev, {
      runId: 'r2',
      watermark: 2000,
      recomputed: new Set(['2024-03-02', '2024-03-03']),
      written: { song_daily: { '2024-03-03': viewFileKey('r2', 'song_daily', '2024-03-03') } },
    })
    expect(next.views.song_daily).toEqual([
      'views/runs/r1/song_daily/day=2024-03-01.parquet',
      'views/runs/r2/song_daily/day=2024-03-03.parquet',
    ])
    expect(next.views.artist_daily).toEqual(['views/runs/r1/artist_daily/day=2024-03-01.parquet'])
    expect(next).toMatchObject({
      runId: 'r2',
      watermark: 2000,
      previousWatermark: 1000,
      days: { from: '2024-03-01', to: '2024-03-03' },
    })
    expect(viewFiles(next, 'song_daily', { from: '2024-03-02' })).toEqual([
      'views/runs/r2/song_daily/day=2024-03-03.parquet',
    ])
    expect(viewFileDay(next.views.song_daily![0]!)).toBe('2024-03-01')
    expect(viewFiles(undefined, 'song_daily')).toEqual([])
  })

  it('expands and validates the days asked for', () => {
    expect(requestedDays({ dates: ['2024-03-05'], from: '2024-02-28', to: '2024-03-01' })).toEqual([
      '2024-02-28',
      '2024-02-29',
      '2024-03-01',
      '2024-03-05',
    ])
    expect(() => requestedDays({ from: '2024-03-01' })).toThrow(/go together/)
    expect(() => requestedDays({ dates: ['2024-3-1'] })).toThrow(/YYYY-MM-DD/)
    expect(() => requestedDays({ from: '2024-02-01', to: '2024-02-30' })).toThrow(
      'to must be a calendar date YYYY-MM-DD (got "2024-02-30")',
    )
  })

  it('generates every metric column from the shared definition', () => {
    const sql = groupedAggregateSql('src')
    for (const m of METRICS) expect(sql).toContain(`CAST(${metricSql(m)} AS BIGINT) AS ${m.column}`)
    for (const v of BATCH_VIEW_NAMES)
      expect(viewSql(v, 'agg', '2024-03-01')).toContain(METRICS.map((m) => m.column).join(', '))
  })
})
