/**
 * The watermark W as this instance knows it (from the lake's views manifest), and how far back it must hold.
 *
 * Drop rule: a serving replica that read the previous manifest may still ask for the previous watermark, so when a
 * new manifest is first seen this instance keeps every bucket from min(previousWatermark, the W it saw before)
 * for `dropGraceMs`, and only then holds from the new W. Readers re-read the manifest well within the grace; one
 * that asks for an older W than this instance holds gets `ready: false` (never a partial count) and retries with
 * the current manifest. Without a manifest W = 0: the batch views hold nothing, so everything is counted.
 */
import type { Lake } from '../shared/lake.ts'
import type { ViewsManifest } from '../shared/layout.ts'
import type { Logger } from '../shared/logger.ts'
import { readViewsManifest } from '../shared/views.ts'

export class WatermarkTracker {
  private manifest: ViewsManifest | undefined
  private firstSeenAt = 0
  /** The oldest watermark a reader may still ask for during the grace. */
  private graceFrom = 0

  constructor(
    private readonly lake: Lake,
    private readonly graceMs: number,
    private readonly log: Logger,
  ) {}

  get watermark(): number {
    return this.manifest?.watermark ?? 0
  }

  /** The arrival time from which this instance must hold counts now. */
  holdFrom(now = Date.now()): number {
    if (this.manifest === undefined) return 0
    if (now - this.firstSeenAt < this.graceMs) return Math.min(this.graceFrom, this.manifest.watermark)
    return this.manifest.watermark
  }

  /** Reads the manifest; true when it changed. A failed read keeps the last known one. */
  async poll(now = Date.now()): Promise<boolean> {
    let next: ViewsManifest | undefined
    try {
      next = await readViewsManifest(this.lake)
    } catch (err) {
      this.log.warn({ err }, 'reading the views manifest failed; keeping the last watermark')
      return false
    }
    if (
      next === undefined ||
      (this.manifest !== undefined && next.runId === this.manifest.runId && next.watermark === this.manifest.watermark)
    ) {
      return false
    }
    const before = this.manifest?.watermark ?? next.previousWatermark
    this.graceFrom = Math.min(before, next.previousWatermark)
    this.firstSeenAt = now
    this.manifest = next
    // The fields stay epoch ms for machines; the message says the hour for a person.
    this.log.info(
      { watermark: next.watermark, previousWatermark: next.previousWatermark, runId: next.runId },
      `new watermark ${hourText(next.watermark)} (was ${next.previousWatermark === 0 ? 'none' : hourText(next.previousWatermark)})`,
    )
    return true
  }
}

function hourText(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`
}
