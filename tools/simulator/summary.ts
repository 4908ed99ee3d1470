/** What a simulation run emitted: the end-of-run summary and the progress line. */
import type { RejectReason } from '../../shared/event.ts'
import type { SimOutput } from './simulate.ts'

const SPAN_UNITS: ReadonlyArray<[string, number]> = [
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1000],
]

/** An event-time span for a sentence: "30 days", "1 day 6 hours", "90 minutes" (two largest units, whole). */
export function formatSpan(ms: number): string {
  const parts: string[] = []
  let rest = Math.round(ms / 1000) * 1000
  for (const [unit, size] of SPAN_UNITS) {
    const n = Math.floor(rest / size)
    rest -= n * size
    if (n > 0 && parts.length < 2) parts.push(`${n} ${unit}${n === 1 ? '' : 's'}`)
    else if (parts.length > 0) break
  }
  return parts.length > 0 ? parts.join(' ') : `${ms} ms`
}

/** The line a run starts with, e.g. "simulating 8000 listeners from 2026-11-30 17:00 UTC until stopped, ...". */
export function describeRun(o: {
  listeners: number
  start: number
  durationMs: number | 'until stopped'
  speed: string
  rate?: number | undefined
  into: string
}): string {
  const from = new Date(o.start).toISOString().slice(0, 16).replace('T', ' ')
  const span = o.durationMs === 'until stopped' ? 'until stopped' : `for ${formatSpan(o.durationMs)} of event time`
  const pace = o.speed === 'realtime' ? 'at wall-clock pace' : 'as fast as the sink takes them'
  return `simulating ${o.listeners} listeners from ${from} UTC ${span}, ${pace}${o.rate ? ` (at most ${o.rate} events/s)` : ''}, into ${o.into}`
}

export class SimSummary {
  emitted = 0
  bytes = 0
  /** Unique valid events (late ones included) by type. */
  readonly byType: Record<string, number> = {}
  valid = 0
  late = 0
  duplicates = 0
  malformed = 0
  readonly malformedBy: Partial<Record<RejectReason, number>> = {}
  firstAt = Infinity
  lastAt = -Infinity

  add(o: SimOutput): void {
    this.emitted++
    this.bytes += o.line.length + 1
    if (o.at < this.firstAt) this.firstAt = o.at
    if (o.at > this.lastAt) this.lastAt = o.at
    switch (o.kind) {
      case 'duplicate':
        this.duplicates++
        return
      case 'malformed':
        this.malformed++
        if (o.reason) this.malformedBy[o.reason] = (this.malformedBy[o.reason] ?? 0) + 1
        return
      case 'late':
        this.late++
        break
      case 'valid':
        this.valid++
        break
    }
    const type = o.event?.type ?? 'unknown'
    this.byType[type] = (this.byType[type] ?? 0) + 1
  }

  /** A few lines for a person at a terminal. */
  format(seconds: number): string {
    const rate = seconds > 0 ? Math.round(this.emitted / seconds) : 0
    const types = Object.entries(this.byType)
      .sort((a, b) => b[1] - a[1])
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')
    const bad = Object.entries(this.malformedBy)
      .map(([r, n]) => `${r} ${n}`)
      .join(', ')
    const span =
      this.emitted > 0 ? `${new Date(this.firstAt).toISOString()} .. ${new Date(this.lastAt).toISOString()}` : '-'
    return [
      `emitted ${this.emitted} lines (${(this.bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s, ${rate} lines/s; event time ${span}`,
      `events by type: ${types || '-'}`,
      `unique valid ${this.valid + this.late} (late ${this.late}), duplicates ${this.duplicates}, malformed ${this.malformed}${bad ? ` (${bad})` : ''}`,
    ].join('\n')
  }
}
