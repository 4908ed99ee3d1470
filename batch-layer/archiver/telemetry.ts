/** The archiver's Prometheus metrics (its telemetry; shared/metrics.ts is the domain's metric definitions). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'

export interface ArchiverTelemetry {
  rows: Counter
  files: Counter<'reason'>
  deadLetters: Counter<'destination'>
  dlqSendFailures: Counter<'refused'>
  convertSeconds: Histogram
  putSeconds: Histogram
  lag: Gauge<'partition'>
  closedThrough: Gauge<'partition'>
  pending: Gauge
}

/** `pendingLetters` reads the dead letters found and not yet durable anywhere (a gauge, read at scrape time). */
export function archiverTelemetry(registry: Registry, pendingLetters: () => number): ArchiverTelemetry {
  const registers = [registry]
  return {
    rows: new Counter({ name: 'playcount_archiver_rows_total', help: 'events written to the lake', registers }),
    files: new Counter({
      name: 'playcount_archiver_files_total',
      help: 'events files written, by what closed them',
      labelNames: ['reason'],
      registers,
    }),
    deadLetters: new Counter({
      name: 'playcount_archiver_dead_letters_total',
      labelNames: ['destination'],
      registers,
      help: 'dead letters durably kept, by destination: dlq (acknowledged by the DLQ) or lake (deadletters/ folder, the DLQ refused or kept failing)',
    }),
    dlqSendFailures: new Counter({
      name: 'playcount_archiver_dlq_send_failures_total',
      labelNames: ['refused'],
      registers,
      help: 'DLQ sends that failed after their retries (refused="false") or that the broker refused for good (refused="true"); their letters went to the lake',
    }),
    convertSeconds: new Histogram({
      name: 'playcount_archiver_convert_seconds',
      help: 'time to turn one events file into Parquet (DuckDB)',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    putSeconds: new Histogram({
      name: 'playcount_archiver_put_seconds',
      help: 'time to put one events file into the lake',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    }),
    lag: new Gauge({
      name: 'playcount_archiver_lag',
      help: 'messages not yet durable in the lake, per partition',
      labelNames: ['partition'],
      registers,
    }),
    pending: new Gauge({
      name: 'playcount_archiver_dead_letters_pending',
      help: 'dead letters found and not yet acknowledged by the DLQ nor written to the lake',
      registers,
      collect() {
        this.set(pendingLetters())
      },
    }),
    closedThrough: new Gauge({
      name: 'playcount_archiver_closed_through_seconds',
      help: 'every arrival hour before this (epoch s) is archived',
      labelNames: ['partition'],
      registers,
    }),
  }
}
