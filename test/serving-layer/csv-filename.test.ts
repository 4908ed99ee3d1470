/**
 * The CSV export's Content-Disposition for ids that cannot go into a quoted filename as they are: a non-Latin-1
 * character, a newline and a double quote. The header is RFC 6266: an ASCII fallback and the exact name in filename*.
 */
import { parse } from 'content-disposition'
import { describe, expect, it } from 'vitest'
import { Catalog } from '../../shared/catalog/catalog.ts'
import { testConfig } from '../helpers.ts'
import { startTestServing } from './support/app.ts'
import { EventsRealtimeView } from './support/events-realtime-view.ts'

const NOW = Date.UTC(2026, 2, 15, 12)
const IDS = ['歌-1', 'line\nbreak', 'say "hi"', 'tab\there', 'ok-1']

describe('CSV filename', () => {
  it.each(IDS)('a valid Content-Disposition for the id %j, naming it exactly', async (id) => {
    const catalog = new Catalog(
      [{ artistId: 'a0', name: 'Artist', genre: 'pop', country: 'DE' }],
      IDS.map((songId, i) => ({
        songId,
        artistId: 'a0',
        title: `Song ${i}`,
        genre: 'pop',
        durationMs: 1000,
        popularityRank: i,
      })),
    )
    const speed = new EventsRealtimeView(catalog, { name: 'speed', partitions: [0], now: () => NOW })
    const { app } = await startTestServing(testConfig({ KAFKA_PARTITIONS: '1' }), {
      catalog,
      realtime: [speed],
      now: () => NOW,
    })
    const res = await app.inject({
      url: `/v1/songs/${encodeURIComponent(id)}/daily?from=2026-03-14&to=2026-03-15&format=csv`,
    })
    expect(res.statusCode).toBe(200)
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8')
    const header = String(res.headers['content-disposition'])
    // Only visible ASCII: no raw newline, nothing outside what a header may carry.
    expect(header).toMatch(/^[\x20-\x7e]+$/)
    const parsed = parse(header)
    expect(parsed.type).toBe('inline')
    expect(parsed.parameters.filename).toBe(`song-${id}-2026-03-14-2026-03-15.csv`)
    expect(res.body.split('\n')).toHaveLength(4)
  })
})
