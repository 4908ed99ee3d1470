/**
 * The batch side of the serving layer: polls the views manifest and, when its run changes, loads the new views
 * in the background and swaps the snapshot in one assignment. A query reads `current` once and uses that
 * snapshot's watermark and indexes together, so it never mixes two runs and never waits for a load.
 */
import { Counter, Gauge, type Registry } from 'prom-client'
import type { Config } from '../../shared/config.ts'
import type { Lake } from '../../shared/lake.ts'
import type { Logger } from '../../shared/logger.ts'
import { readViewsManifest } from '../../shared/views.ts'
import { EMPTY_SNAPSHOT, loadBatchSnapshot, type BatchSnapshot } from './load-views.ts'
import { registered } from '../../shared/telemetry.ts'

export interface BatchViewsOptions {
  pollMs: number
}

export class BatchViews {
  current: BatchSnapshot = EMPTY_SNAPSHOT
  /** True once the lake has been read at least once (a lake without a manifest counts: nothing to serve yet). */
  loaded = false
  lastError: string | undefined
  private timer: NodeJS.Timeout | undefined
  private inFlight: Promise<boolean> | undefined
  private readonly loads: Counter<'outcome'>
  private readonly watermarkGauge: Gauge

  constructor(
    private readonly config: Readonly<Config>,
    private readonly lake: Lake,
    private readonly log: Logger,
    registry: Registry,
    private readonly opts: BatchViewsOptions,
  ) {
    this.loads = registered(
      registry,
      'playcount_serving_view_loads_total',
      () =>
        new Counter({
          name: 'playcount_serving_view_loads_total',
          help: 'batch view loads by outcome',
          labelNames: ['outcome'] as const,
          registers: [registry],
        }),
    )
    this.watermarkGauge = registered(
      registry,
      'playcount_serving_watermark_seconds',
      () =>
        new Gauge({
          name: 'playcount_serving_watermark_seconds',
          help: 'the watermark W of the batch views served (epoch seconds)',
          registers: [registry],
        }),
    )
  }

  /** Reads the manifest and loads the views if the run changed. Resolves true when a new snapshot was swapped in. */
  refresh(): Promise<boolean> {
    this.inFlight ??= this.refreshOnce().finally(() => {
      this.inFlight = undefined
    })
    return this.inFlight
  }

  start(): void {
    if (this.timer) return
    const tick = (): void => {
      this.refresh()
        .catch(() => undefined)
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.opts.pollMs).unref()
        })
    }
    this.timer = setTimeout(tick, this.opts.pollMs).unref()
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }

  private async refreshOnce(): Promise<boolean> {
    try {
      const manifest = await readViewsManifest(this.lake)
      const same = manifest?.runId === this.current.manifest?.runId && manifest?.watermark === this.current.watermark
      if (!manifest || same) {
        this.loaded = true
        this.lastError = undefined
        return false
      }
      const t0 = Date.now()
      const next = await loadBatchSnapshot(this.config, this.lake, manifest)
      this.current = next
      this.loaded = true
      this.lastError = undefined
      this.loads.inc({ outcome: 'ok' })
      this.watermarkGauge.set(next.watermark / 1000)
      this.log.info(
        {
          runId: manifest.runId,
          watermark: new Date(manifest.watermark).toISOString(),
          songRows: next.indexes.song.rows,
          artistRows: next.indexes.artist.rows,
          ms: Date.now() - t0,
        },
        'batch views loaded',
      )
      return true
    } catch (err) {
      // The previous snapshot keeps serving; a broken run must not take the API down.
      this.lastError = (err as Error).message
      this.loads.inc({ outcome: 'error' })
      this.log.warn({ err }, 'loading the batch views failed; serving the previous ones')
      throw err
    }
  }
}
