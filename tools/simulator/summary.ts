/** What a simulation run emitted: the end-of-run summary and the progress line. */
import type { RejectReason } from '../../shared/event.ts'
import type { SimOutput } from './simulate.ts'

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
      case 'duplicate': this.duplicates++; return
      case 'malformed':
        this.malformed++
        if (o.reason) this.malformedBy[o.reason] = (this.malformedBy[o.reason] ?? 0) + 1
        return
      case 'late': this.late++; break
      case 'valid': this.valid++; break
    }
    const type = o.event?.type ?? 'unknown'
    this.byType[type] = (this.byType[type] ?? 0) + 1
  }

  /** A few lines for a person at a terminal. */
  format(seconds: number): string {
    const rate = seconds > 0 ? Math.round(this.emitted / seconds) : 0
    const types = Object.entries(this.byType).sort((a, b) => b[1] - a[1]).map(([t, n]) => `${t} ${n}`).join(', ')
    const bad = Object.entries(this.malformedBy).map(([r, n]) => `${r} ${n}`).join(', ')
    const span = this.emitted > 0 ? `${new Date(this.firstAt).toISOString()} .. ${new Date(this.lastAt).toISOString()}` : '-'
    return [
      `emitted ${this.emitted} lines (${(this.bytes / 1e6).toFixed(1)} MB) in ${seconds.toFixed(1)} s, ${rate} lines/s; event time ${span}`,
      `events by type: ${types || '-'}`,
      `unique valid ${this.valid + this.late} (late ${this.late}), duplicates ${this.duplicates}, malformed ${this.malformed}${bad ? ` (${bad})` : ''}`,
    ].join('\n')
  }
}
