/** The speed role's Prometheus metrics, registered on the process registry (served on /metrics by the process). */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { EngineStats } from './engine.ts'
import type { PartitionState } from './partition-state.ts'

export interface TelemetrySource {
  partitions(): Iterable<PartitionState>
  eventsPerSecond(): number
  /** The engine's last reported figures (refreshed with every manifest poll). */
  engine(): EngineStats
}

export class SpeedTelemetry {
  readonly events: Counter<'outcome'>
  readonly rejected: Counter<'reason'>
  readonly rebuild: Histogram<string>
  readonly engineRestarts: Counter<string>

  constructor(registry: Registry, source: TelemetrySource) {
    const registers = [registry]
    this.events = new Counter({
      name: 'playcount_speed_events_total',
      registers,
      labelNames: ['outcome'],
      help: 'messages read by the speed layer, by outcome (counted, duplicate, held_out = before the held range or no metric, rejected = invalid)',
    })
    // Only counted: the archiver owns the DLQ (one letter per bad message), see shared/dlq.ts.
    this.rejected = new Counter({
      name: 'playcount_speed_rejected_total',
      registers,
      labelNames: ['reason'],
      help: 'invalid messages the speed layer did not count, by reason (the archiver dead-letters them)',
    })
    this.engineRestarts = new Counter({
      name: 'playcount_speed_engine_restarts_total',
      registers,
      help: 'engine threads replaced after the previous one died (its partitions are rebuilt from the log)',
    })
    this.rebuild = new Histogram({
      name: 'playcount_speed_rebuild_seconds',
      registers,
      help: 'time from a partition assignment to caught up (rebuilt from the log)',
      buckets: [0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    })
    new Gauge({
      name: 'playcount_speed_events_per_second',
      registers,
      help: 'messages read per second, over the last few seconds',
      collect() {
        this.set(source.eventsPerSecond())
      },
    })
    new Gauge({
      name: 'playcount_speed_partition_lag',
      registers,
      labelNames: ['partition'],
      help: 'messages behind the log end, per assigned partition',
      collect() {
        this.reset()
        for (const p of source.partitions()) this.set({ partition: String(p.partition) }, p.lag)
      },
    })
    new Gauge({
      name: 'playcount_speed_partition_ready',
      registers,
      labelNames: ['partition'],
      help: '1 when the partition is rebuilt and caught up',
      collect() {
        this.reset()
        for (const p of source.partitions()) this.set({ partition: String(p.partition) }, p.ready ? 1 : 0)
      },
    })
    new Gauge({
      name: 'playcount_speed_keys',
      registers,
      labelNames: ['kind'],
      help: '(event day, key) cells held, summed over arrival buckets (song, artist), and listener ids interned (listener_id)',
      collect() {
        const e = source.engine()
        this.set({ kind: 'song' }, e.songKeys)
        this.set({ kind: 'artist' }, e.artistKeys)
        this.set({ kind: 'listener_id' }, e.listenerIds)
      },
    })
    new Gauge({
      name: 'playcount_speed_memory_bytes',
      registers,
      labelNames: ['type'],
      help: 'process memory; the counters live on the engine thread, in typed arrays',
      collect() {
        const m = process.memoryUsage()
        const e = source.engine()
        this.set({ type: 'heap_used' }, m.heapUsed)
        this.set({ type: 'rss' }, m.rss)
        this.set({ type: 'engine_heap' }, e.heapBytes)
        this.set({ type: 'engine_tables' }, e.tableBytes)
      },
    })
  }
}
