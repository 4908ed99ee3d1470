/** Tunables of the speed role that are not deployment configuration (defaults are production values). */
import { HOUR_MS } from '../shared/layout.ts'

export interface SpeedOptions {
  /** Name of this instance in status answers. */
  instance?: string
  /** Width of an arrival bucket. Watermarks are hour boundaries, so it must divide an hour; tests use seconds. */
  bucketMs?: number
  /** How often the views manifest (the watermark) and the partitions' end offsets are read. */
  manifestPollMs?: number
  /** How long buckets before a new watermark stay after the manifest was first seen (readers may hold the old W). */
  dropGraceMs?: number
  /**
   * How far before the held range a rebuild starts reading, only to fill the dedup window: a retry that arrives
   * just after W of an event that arrived just before W (and so is in the batch) is then still recognised.
   */
  dedupWarmupMs?: number
  /** Where the counting engine runs: its own thread (production), or this one (tools, tests of the engine). */
  engine?: 'worker' | 'inline'
  /** Count breakdown cells per (day, song|artist, dimension value) (default true; the bench measures both). */
  breakdowns?: boolean
  /** Fault tests: the first engine thread exits after this many messages; its replacement runs on. */
  engineExitAfter?: number
}

export type ResolvedSpeedOptions = Required<Omit<SpeedOptions, 'engineExitAfter'>> &
  Pick<SpeedOptions, 'engineExitAfter'>

export function resolveOptions(o: SpeedOptions = {}): ResolvedSpeedOptions {
  const bucketMs = o.bucketMs ?? HOUR_MS
  if (bucketMs <= 0 || HOUR_MS % bucketMs !== 0) throw new RangeError(`bucketMs ${bucketMs} must divide an hour`)
  return {
    instance: o.instance ?? `speed-${process.pid}`,
    bucketMs,
    manifestPollMs: o.manifestPollMs ?? 5000,
    dropGraceMs: o.dropGraceMs ?? 60_000,
    dedupWarmupMs: o.dedupWarmupMs ?? HOUR_MS,
    engine: o.engine ?? 'worker',
    breakdowns: o.breakdowns ?? true,
    ...(o.engineExitAfter === undefined ? {} : { engineExitAfter: o.engineExitAfter }),
  }
}
