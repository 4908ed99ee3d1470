/**
 * The latest listener segments (views/segments/, written by the nightly batch) in memory for
 * GET /v1/listeners/:id and GET /v1/segments: the summary, and per listener its segment and features. Polled; a
 * new run is loaded in the background and swapped in one assignment. Memory: one entry per listener segmented
 * (~210 bytes: id, segment and seven values). A file written before a feature existed (`premium`) reads it as null.
 */
import type { Config } from '../../shared/config.ts'
import { openDuck, quoteLiteral } from '../../shared/duckdb.ts'
import type { Lake } from '../../shared/lake.ts'
import type { Logger } from '../../shared/logger.ts'
import { readLatestSegments, SEGMENT_FEATURES, type SegmentsRun, type SegmentValues } from '../../shared/segments.ts'

export interface ListenerSegment {
  segment: number
  features: SegmentValues
}

interface Snapshot {
  run: SegmentsRun | undefined
  byUser: Map<string, ListenerSegment>
}

export class ListenerSegments {
  current: Snapshot = { run: undefined, byUser: new Map() }
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly config: Readonly<Config>,
    private readonly lake: Lake,
    private readonly log: Logger,
    private readonly pollMs: number,
  ) {}

  async refresh(): Promise<boolean> {
    const run = await readLatestSegments(this.lake)
    if (
      run === undefined ||
      (run.file === this.current.run?.file &&
        run.to === this.current.run.to &&
        run.listeners === this.current.run.listeners)
    )
      return false
    const duck = await openDuck(this.config, { threads: 1 })
    try {
      const result = await duck.conn.runAndReadAll(
        `SELECT * FROM read_parquet(${quoteLiteral(this.lake.location(run.file))})`,
      )
      const at = new Map(result.columnNames().map((c, i) => [c, i]))
      const value = (r: readonly unknown[], column: string): number | null => {
        const v = r[at.get(column) ?? -1]
        return v === null || v === undefined ? null : Number(v)
      }
      const byUser = new Map<string, ListenerSegment>()
      for (const r of result.getRows()) {
        const features = Object.fromEntries(SEGMENT_FEATURES.map((f) => [f, value(r, f)])) as SegmentValues
        byUser.set(String(r[at.get('user_id')!]), { segment: Number(r[at.get('segment')!]), features })
      }
      this.current = { run, byUser }
      this.log.info({ asOf: run.asOf, listeners: byUser.size }, 'listener segments loaded')
      return true
    } finally {
      duck.close()
    }
  }

  start(): void {
    const tick = (): void => {
      this.refresh()
        .catch((err: unknown) => this.log.warn({ err }, 'listener segments not loaded; retrying at the next poll'))
        .finally(() => {
          if (this.timer) this.timer = setTimeout(tick, this.pollMs).unref()
        })
    }
    this.timer = setTimeout(tick, 0).unref()
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer)
    this.timer = undefined
  }
}
