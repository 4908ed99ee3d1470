import { describe, expect, it } from 'vitest'
import { parseDay } from '../../shared/day.ts'
import { openLake } from '../../shared/lake.ts'
import { VIEWS_MANIFEST_KEY, type ViewsManifest } from '../../shared/layout.ts'
import { eventually, testConfig } from '../helpers.ts'
import { addRecords, groundTruth, makeEvents, settle, setupTopic, speed, truthRecord } from './fixtures.ts'

const BUCKET_MS = 1000

type Rec = Record<string, Record<string, Record<string, number>>>
function additiveOnly(r: Rec): Rec {
  const out: Rec = {}
  for (const [k, days] of Object.entries(r)) {
    out[k] = {}
    for (const [d, v] of Object.entries(days)) out[k][d] = { ...v, listeners: 0 }
  }
  return out
}

describe('speed layer and a watermark move (real broker)', () => {
  it('never double counts or drops: arrivals before W (the batch part) + realtime(W) = ground truth', async () => {
    const config = testConfig({ KAFKA_PARTITIONS: '3' })
    const lake = openLake(config)
    const { produce } = await setupTopic(config)
    // Second-wide arrival buckets stand in for hours, so W can fall between two phases of one test.
    const opts = { bucketMs: BUCKET_MS, manifestPollMs: 100, dropGraceMs: 2500 }
    const part1 = makeEvents(21, 1500)
    await produce(part1.messages)
    const a = speed(config, { ...opts, instance: 'a' })
    await a.start()
    const t1 = truthRecord(groundTruth(part1.events))
    expect((await settle([a.view], 0, t1)).truth).toEqual(t1)

    // W: the first bucket boundary after every part-1 arrival; part 2 (with retries of part-1 events) arrives after it.
    const W = Math.ceil((Date.now() + 1) / BUCKET_MS) * BUCKET_MS
    await eventually(async () => (Date.now() >= W + 20 ? true : undefined), 5000, 'the clock to pass W')
    const part2 = makeEvents(22, 1500, { resend: part1.events })
    expect(part2.messages.length - part2.events.length).toBeGreaterThan(50)
    await produce(part2.messages)
    const all = truthRecord(groundTruth([...part1.events, ...part2.events]))
    expect((await settle([a.view], 0, all)).truth).toEqual(all)

    const manifest: ViewsManifest = {
      runId: 'r1',
      watermark: W,
      previousWatermark: 0,
      createdAt: new Date().toISOString(),
      views: {},
      days: null,
    }
    await lake.putBytes(VIEWS_MANIFEST_KEY, JSON.stringify(manifest))
    // Within the grace a reader of the old manifest (W = 0) is still served in full.
    const old = await settle([a.view], 0, all, 1000)
    expect(old.ready).toBe(true)

    // realtime(W) holds exactly the events that arrived at or after W, a retry of an earlier event not among them.
    const realtimeTruth = truthRecord(groundTruth(part2.events))
    const atW = await settle([a.view], W, realtimeTruth)
    expect(atW.truth).toEqual(realtimeTruth)
    // The merge: batch (arrivals < W, counted here) + realtime(W) = ground truth. Listeners are exact per part only
    // (a listener on both sides of W is in both), so the sum is checked for the additive metrics.
    expect(additiveOnly(addRecords(t1, atW.truth))).toEqual(additiveOnly(all))

    // After the grace the buckets before W are gone: an old watermark is refused, W is still exact.
    const refused = await eventually(
      async () => {
        const r = await a.view.daily({ kind: 'song', id: 's1', from: 0, to: parseDay('2100-01-01')!, watermark: 0 })
        return r.ready ? undefined : r
      },
      10_000,
      'buckets before W to be dropped',
    )
    expect(refused.reason).toMatch(/older than the buckets held/)
    expect((await a.view.status()).oldestWatermark).toBe(W)
    expect((await settle([a.view], W, realtimeTruth)).truth).toEqual(realtimeTruth)
    await a.stop()

    // A new instance, after the grace, holds from W: it seeks by timestamp and reads the warm-up before W only
    // into its dedup window, so the retries across W are still recognised.
    const b = speed(config, { ...opts, dropGraceMs: 0, instance: 'b' })
    await b.start()
    const rebuilt = await settle([b.view], W, realtimeTruth)
    expect(rebuilt.truth).toEqual(realtimeTruth)
    expect(
      (await b.view.daily({ kind: 'artist', id: 'a0', from: 0, to: parseDay('2100-01-01')!, watermark: W - BUCKET_MS }))
        .ready,
    ).toBe(false)
  })
})
