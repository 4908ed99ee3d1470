import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { loadConfig } from '../../shared/config.ts'
import { openLake } from '../../shared/lake.ts'
import { VIEWS_MANIFEST_KEY, type ViewsManifest } from '../../shared/layout.ts'
import { createLogger } from '../../shared/logger.ts'
import { WatermarkTracker } from '../../speed-layer/watermark.ts'

const H = 3_600_000
const manifest = (runId: string, watermark: number, previousWatermark: number): string =>
  JSON.stringify({ runId, watermark, previousWatermark, createdAt: '', views: {}, days: null } satisfies ViewsManifest)

describe('WatermarkTracker', () => {
  it('holds from the previous watermark for the grace after a new manifest is first seen, then from W', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'speed-wm-'))
    onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
    const lake = openLake(loadConfig({ LAKE_URI: dir }))
    const t = new WatermarkTracker(lake, 60_000, createLogger({ level: 'silent' }))
    expect(await t.poll(0)).toBe(false)
    expect(t.holdFrom(0)).toBe(0) // no manifest: count everything

    await lake.putBytes(VIEWS_MANIFEST_KEY, manifest('r1', 10 * H, 0))
    expect(await t.poll(1000)).toBe(true)
    expect(t.watermark).toBe(10 * H)
    expect(t.holdFrom(1000 + 59_999)).toBe(0)
    expect(t.holdFrom(1000 + 60_000)).toBe(10 * H)
    expect(await t.poll(70_000)).toBe(false) // unchanged manifest: the grace does not restart

    await lake.putBytes(VIEWS_MANIFEST_KEY, manifest('r2', 34 * H, 10 * H))
    expect(await t.poll(100_000)).toBe(true)
    expect(t.holdFrom(150_000)).toBe(10 * H)
    expect(t.holdFrom(160_000)).toBe(34 * H)

    await lake.putBytes(VIEWS_MANIFEST_KEY, '{ not json')
    expect(await t.poll(200_000)).toBe(false) // a bad read keeps the last known watermark
    expect(t.holdFrom(300_000)).toBe(34 * H)
  })
})
