import { describe, expect, it } from 'vitest'
import { testConfig } from '../helpers.ts'
import { startTestServing } from './support/app.ts'
import { HABIT_CENTROID, putSegments } from './support/segments.ts'
import { catalog, PROFILES } from '../speed-layer/fixtures.ts'

const centroid = { ...HABIT_CENTROID, premium: 0.25 }

const SEGMENT_ROWS = `SELECT * FROM (VALUES ('u1', 20.0, 5.0, 0.6, 0.4, 0.1, 1.0, 0.0, 1, 'skippers'),
    ('u2', 70.0, 30.0, 0.1, 0.9, 0.7, 0.0, 0.0, 0, 'heavy night listeners'), ('u35', 20.0, 5.0, 0.6, 0.4, 0.1, 1.0, NULL, 1, 'skippers'))
  AS t(user_id, plays_per_active_day, distinct_artists, skip_rate, complete_share, night_share, days_since_last_play, premium, segment, segment_name)`

describe('GET /v1/listeners/:id and /v1/segments (local lake, real DuckDB)', () => {
  it("answer a listener's segment and features from the latest segments run, 404 for an unknown listener", async () => {
    const config = testConfig()
    await putSegments(config, SEGMENT_ROWS, {
      k: 2,
      listeners: 2,
      segments: [
        {
          segment: 0,
          name: 'heavy night listeners',
          size: 1,
          centroid,
          profiles: 1,
          topArtists: [{ artistId: 'a1', plays: 10, share: 0.8, lift: 1.6 }],
        },
        {
          segment: 1,
          name: 'skippers',
          size: 1,
          centroid: { ...centroid, premium: null },
          profiles: 0,
          topArtists: [],
        },
      ],
    })

    const { app } = await startTestServing(config, { catalog, realtime: [] })
    const u1 = await app.inject({ method: 'GET', url: '/v1/listeners/u1' })
    expect(u1.statusCode).toBe(200)
    const { userId, ...row } = PROFILES[1]!
    expect(userId).toBe('u1')
    expect(u1.json()).toEqual({
      id: 'u1',
      profile: row,
      signals: [],
      segment: {
        segment: 1,
        name: 'skippers',
        asOf: '2026-03-28',
        features: {
          plays_per_active_day: 20,
          distinct_artists: 5,
          skip_rate: 0.6,
          complete_share: 0.4,
          night_share: 0.1,
          days_since_last_play: 1,
          premium: 0,
        },
      },
    })
    // u35 has events (a segment) but no profile: known, profile null, premium unknown (null, not free).
    const eventsOnly = await app.inject({ method: 'GET', url: '/v1/listeners/u35' })
    expect(eventsOnly.statusCode).toBe(200)
    expect(eventsOnly.json()).toMatchObject({
      id: 'u35',
      profile: null,
      segment: { segment: 1, features: { premium: null } },
    })
    // u3 has a profile (premium, with a birth year) but no segment or signal: still a known listener.
    const profileOnly = await app.inject({ method: 'GET', url: '/v1/listeners/u3' })
    expect(profileOnly.statusCode).toBe(200)
    const { userId: id3, ...row3 } = PROFILES[3]!
    expect(id3).toBe('u3')
    expect(profileOnly.json()).toEqual({ id: 'u3', profile: row3, segment: null, signals: [] })
    const unknown = await app.inject({ method: 'GET', url: '/v1/listeners/nobody' })
    expect(unknown.statusCode).toBe(404)
    expect(unknown.json().message).toMatch(/listener not found: nobody/)
    expect((await app.inject({ method: 'GET', url: '/v1/listeners/bad%20id' })).statusCode).toBe(400)
    const segments = await app.inject({ method: 'GET', url: '/v1/segments' })
    expect(segments.json().segments.map((s: { name: string }) => s.name)).toEqual(['heavy night listeners', 'skippers'])
    expect(
      segments
        .json()
        .segments.map((s: { centroid: { premium: unknown }; profiles: number }) => [s.centroid.premium, s.profiles]),
    ).toEqual([
      [0.25, 1],
      [null, 0],
    ])
    expect(segments.json().segments[0].topArtists[0]).toEqual({
      artistId: 'a1',
      name: 'Artist 1',
      plays: 10,
      share: 0.8,
      lift: 1.6,
    })
  })

  it('read a segments run written before the premium feature as premium unknown', async () => {
    const config = testConfig()
    await putSegments(
      config,
      `SELECT 'u1' AS user_id, 20.0 AS plays_per_active_day, 5.0 AS distinct_artists, 0.6 AS skip_rate,
        0.4 AS complete_share, 0.1 AS night_share, 1.0 AS days_since_last_play, 0 AS segment, 'skippers' AS segment_name`,
      {
        k: 1,
        listeners: 1,
        segments: [{ segment: 0, name: 'skippers', size: 1, centroid: HABIT_CENTROID, topArtists: [] }],
      },
    )

    const { app } = await startTestServing(config, { catalog, realtime: [] })
    const u1 = await app.inject({ method: 'GET', url: '/v1/listeners/u1' })
    expect(u1.statusCode).toBe(200)
    expect(u1.json().segment).toMatchObject({ segment: 0, features: { skip_rate: 0.6, premium: null } })
    const segments = await app.inject({ method: 'GET', url: '/v1/segments' })
    expect(segments.statusCode).toBe(200)
    expect(segments.json().segments[0]).toMatchObject({ centroid: { skip_rate: 0.5, premium: null }, profiles: 0 })
  })
})
