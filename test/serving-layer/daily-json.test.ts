/**
 * The hot path's JSON text against the response schema's serializer (Fastify's own, through inject) over the
 * object merge: byte for byte, on random inputs, while cached batch rows are reused and realtime data arrives on
 * days already cached; and the cache of batch runs, kept per snapshot.
 */
import Fastify from 'fastify'
import { describe, expect, it, onTestFinished } from 'vitest'
import { formatDay, parseDay } from '../../shared/day.ts'
import { METRICS, zeroValues, type MetricValues } from '../../shared/metrics.ts'
import { DailyIndexBuilder } from '../../serving-layer/batch/daily-index.ts'
import { EMPTY_SNAPSHOT, type BatchSnapshot } from '../../serving-layer/batch/load-views.ts'
import { dailyJson, type DailyJsonInput } from '../../serving-layer/daily-json.ts'
import { mergeDaily, type MergeInput } from '../../serving-layer/merge.ts'
import { DailyReport } from '../../serving-layer/schemas.ts'
import { rng } from './support/data.ts'

async function schemaSerializer(): Promise<(report: unknown) => Promise<string>> {
  const app = Fastify()
  let next: unknown
  app.get('/', { schema: { response: { 200: DailyReport } } }, async () => next)
  onTestFinished(() => app.close())
  return async (report) => {
    next = report
    return (await app.inject({ url: '/' })).payload
  }
}

function randomValues(random: () => number, withListeners: boolean): MetricValues {
  const v = zeroValues()
  for (const m of METRICS)
    v[m.name] =
      m.name === 'listeners' && !withListeners ? 0 : Math.floor(random() * (m.name === 'msPlayed' ? 1e10 : 500))
  return v
}

describe('dailyJson', () => {
  it('writes what the response schema writes for the same merge, with and without cached rows', async () => {
    const serialize = await schemaSerializer()
    const random = rng(11)
    const first = parseDay('2026-01-01')!
    const snapshot: BatchSnapshot = { ...EMPTY_SNAPSHOT, watermark: Date.parse('2026-01-20T05:00:00Z') }
    const batch = new Map<number, MetricValues>()
    for (let d = first; d < first + 20; d++) if (random() < 0.8) batch.set(d, randomValues(random, random() < 0.7))
    for (let round = 0; round < 40; round++) {
      const realtime: Array<Map<number, MetricValues>> = []
      for (let a = 0; a < 1 + Math.floor(random() * 2); a++) {
        const days = new Map<number, MetricValues>()
        for (let d = first + 10; d < first + 25; d++)
          if (random() < 0.2) days.set(d, randomValues(random, random() < 0.5))
        realtime.push(days)
      }
      const lo = first + Math.floor(random() * 12)
      const merge: MergeInput = {
        first: lo,
        last: lo + Math.floor(random() * 14),
        watermark: snapshot.watermark,
        realtime,
        batch: (d, out) => {
          const v = batch.get(d)
          if (v)
            METRICS.forEach((m, i) => {
              out[i] = v[m.name]
            })
          return v !== undefined
        },
      }
      const complete = random() < 0.7
      const head: DailyJsonInput = {
        kind: round % 2 ? 'song' : 'artist',
        id: 's"1',
        name: 'Ärtist \\ "Nova"',
        artistId: round % 2 ? 'a\u00e91' : undefined,
        from: formatDay(merge.first),
        to: formatDay(merge.last),
        complete,
        missing: complete
          ? { instances: [], partitions: [] }
          : { instances: [{ instance: 'http://x', reason: 'timed out "5 ms"' }], partitions: [1, 3] },
      }
      const { days, totals } = mergeDaily(merge)
      const { artistId, ...rest } = head
      const expected = await serialize({
        ...rest,
        ...(artistId === undefined ? {} : { artistId }),
        watermark: merge.watermark,
        days,
        totals,
      })
      expect(dailyJson(snapshot, head, merge).toString(), `round ${round}`).toBe(expected)
    }
  })

  it('answers each snapshot from its own batch runs: a new batch run is never served from the last one', async () => {
    const serialize = await schemaSerializer()
    const first = parseDay('2026-03-01')!
    const last = first + 29
    const watermark = Date.parse('2026-03-30T10:00:00Z')
    const snapshotOf = (plays: number): BatchSnapshot => {
      const builder = new DailyIndexBuilder()
      for (let d = first; d < last; d++)
        builder.add(
          'a1',
          d,
          METRICS.map((m) => (m.name === 'plays' ? plays : 1)),
        )
      return { ...EMPTY_SNAPSHOT, watermark, indexes: { ...EMPTY_SNAPSHOT.indexes, artist: builder.build() } }
    }
    const head: DailyJsonInput = {
      ...{ kind: 'artist', id: 'a1', name: 'Nova', artistId: undefined, complete: true },
      ...{ from: formatDay(first), to: formatDay(last), missing: { instances: [], partitions: [] } },
    }
    // Realtime data on the last day only: days first..last-1 are one batch run.
    const realtime = [new Map([[last, { ...zeroValues(), plays: 3 }]])]
    const report = async (snapshot: BatchSnapshot) => {
      const merge: MergeInput = { first, last, watermark, realtime, batch: snapshot.indexes.artist.reader('a1') }
      const { days, totals } = mergeDaily(merge)
      const expected = await serialize({ ...head, artistId: undefined, watermark, days, totals })
      let reads = 0
      const counted: MergeInput = { ...merge, batch: (d, out) => (reads++, merge.batch(d, out)) }
      return { text: dailyJson(snapshot, head, counted).toString(), expected, reads }
    }
    const before = snapshotOf(10)
    const cold = await report(before)
    expect(cold.text).toBe(cold.expected)
    const warm = await report(before)
    expect(warm.text).toBe(warm.expected)
    // Cached: only the day with realtime data is read from the batch.
    expect(warm.reads).toBe(1)
    const after = await report(snapshotOf(20))
    expect(after.text).toBe(after.expected)
    expect(JSON.parse(after.text).totals.plays).toBe(29 * 20 + 3)
  })
})
