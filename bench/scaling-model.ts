/**
 * The calculation behind docs/SCALING.md: from per-event costs measured by the benches (README "Benchmarks",
 * bench/results/) and the stated assumptions about traffic, the instances each layer needs and where each layer's
 * limit is, for 10M, 1B and 10B events a day. `npx tsx bench/scaling-model.ts` prints the tables the doc quotes;
 * change an assumption here and the doc's numbers follow.
 */

/** Measured on the 2-core development machine (README "Benchmarks"; 2026-11-22 unless noted). */
export const MEASURED = {
  collectorEventsPerS: 49_520, // 100 events/request, 202 after the Kafka ack
  speedEventsPerS: 340_414, // consume and count, one instance
  speedRebuildEventsPerS: 10_000_000 / 30.6, // 10M events in 30.6 s, start to every partition ready
  speedBytesPerKey: (98 * 2 ** 20) / 1e6, // 98 MiB per million (day, song) keys
  speedBytesPerEventId: 65, // dedup memory
  archiverRowsPerS: 183_925, // Kafka → S3 (MinIO)
  duckdbRowsPerS: 1_041_876, // one run, 1 day of 2M events, 5 views + dedup + write (quiet machine)
  duckdbPeakMiBPer2M: 606,
  servingReqPerS: 7_707, // 30-day artist query, in-process merge, 50 connections
  servingBytesPerIdDay: 7 * 8 + 1, // DailyIndex: 7 Float64 metrics + a presence byte per (id, day) of an id's span
  archiveMaxRowsPerFile: 2_000_000, // ARCHIVE_MAX_ROWS_PER_FILE
} as const

/** Assumptions about a service of each size (not measured: change them to yours). */
export interface Scale {
  eventsPerDay: number
  /** Distinct songs played in a day, and in one arrival hour. */
  songsPerDay: number
  songsPerHour: number
  /** Songs with any play in the serving window (the DailyIndex keeps each song's span of days). */
  songsServed: number
  /** Report API requests per second at peak. */
  apiPeakReqPerS: number
}

export const SCALES: Record<string, Scale> = {
  '10M': { eventsPerDay: 10e6, songsPerDay: 300e3, songsPerHour: 60e3, songsServed: 1e6, apiPeakReqPerS: 100 },
  '1B': { eventsPerDay: 1e9, songsPerDay: 8e6, songsPerHour: 2e6, songsServed: 30e6, apiPeakReqPerS: 2_000 },
  '10B': { eventsPerDay: 10e9, songsPerDay: 30e6, songsPerHour: 10e6, songsServed: 100e6, apiPeakReqPerS: 20_000 },
}

const PEAK_TO_MEAN = 3 // listening peaks in the evening: the peak hour carries ~3x the mean rate
const HEADROOM = 0.5 // run each instance at half of what it measured (noise, GC, a lost instance's load)
const RETRY_HORIZON_S = 15 * 60 // the speed layer should recognise a retry up to 15 min after its first copy
const SERVED_DAYS = 400 // the serving layer keeps a bit over a year of days per id
const REBUILD_BUDGET_S = 300
/** A shard's share of a run: ~8 min on a 16-core machine at the measured ~0.5M rows/s per core. */
const ROWS_PER_SHARD = 250e6
const MIB = 2 ** 20
const GIB = 2 ** 30

export interface Plan {
  scale: string
  meanPerS: number
  peakPerS: number
  partitions: number
  collectors: number
  speedInstances: number
  archivers: number
  servingReplicas: number
  batchEngine: string
  limits: Record<string, string>
}

function ceil(x: number, min = 1): number {
  return Math.max(min, Math.ceil(x - 1e-9))
}

/** Smallest count ≥ n with many divisors (so speed instance and shard counts divide it). */
function partitionsFor(n: number): number {
  return [6, 12, 24, 48, 96, 192, 384].find((p) => p >= n) ?? 768
}

function divisorAtLeast(n: number, k: number): number {
  for (let d = k; d < n; d++) if (n % d === 0) return d
  return n
}

export function plan(name: string, s: Scale): Plan {
  const meanPerS = s.eventsPerDay / 86_400
  const peakPerS = meanPerS * PEAK_TO_MEAN
  const collectors = ceil(peakPerS / (MEASURED.collectorEventsPerS * HEADROOM), 2)
  const archivers = ceil(peakPerS / (MEASURED.archiverRowsPerS * HEADROOM))
  // The nightly run (00:30) moves W to midnight: just before it, the speed layer holds ~25 h since W, + the grace
  // for readers of the old W + the hour before W it reads for dedup.
  const heldHours = 27
  const keys = heldHours * s.songsPerHour * 1.1 // + artists (about a tenth of the songs)
  const keyBytes = keys * MEASURED.speedBytesPerKey
  const sinceW = meanPerS * 25 * 3600
  // Partitions: a partition gained in a rebalance rebuilds from W; keep that ≤ 5 min per partition (one core).
  const partitions = partitionsFor(
    Math.max(sinceW / (MEASURED.speedRebuildEventsPerS * REBUILD_BUDGET_S), collectors * 2),
  )
  // Speed instances: by CPU at peak, by memory (≤ 8 GiB of counters and dedup ids each).
  const perPartitionPeak = peakPerS / partitions
  const dedupWindow = Math.max(500_000, Math.ceil((perPartitionPeak * RETRY_HORIZON_S) / 100_000) * 100_000)
  const dedupBytes = dedupWindow * partitions * MEASURED.speedBytesPerEventId
  const speedByCpu = peakPerS / (MEASURED.speedEventsPerS * HEADROOM)
  const speedByMemory = (keyBytes + dedupBytes) / (8 * GIB)
  const speedInstances = divisorAtLeast(partitions, ceil(Math.max(speedByCpu, speedByMemory), 2))
  const filesPerHour = partitions * ceil(((peakPerS / partitions) * 3600) / MEASURED.archiveMaxRowsPerFile)
  const filesPerYear = partitions * 24 * 365 * ceil(((meanPerS / partitions) * 3600) / MEASURED.archiveMaxRowsPerFile)
  const servingBytes = s.songsServed * 1.1 * SERVED_DAYS * MEASURED.servingBytesPerIdDay
  const servingReplicas = ceil(s.apiPeakReqPerS / (MEASURED.servingReqPerS * HEADROOM), 2)
  // A nightly run reads the day that ended and re-reads the day before (late events touch it): ~2 days of rows.
  const batchRows = 2 * s.eventsPerDay
  const duckMinutesOn2Cores = batchRows / MEASURED.duckdbRowsPerS / 60
  const shards = divisorAtLeast(partitions, ceil(batchRows / ROWS_PER_SHARD, 2))
  const batchEngine =
    batchRows <= ROWS_PER_SHARD
      ? 'DuckDB, one process'
      : batchRows <= 4e9
        ? `DuckDB --shards ${shards} (≤ ${ROWS_PER_SHARD / 1e6}M rows each)`
        : 'Spark cluster (--engine spark)'
  return {
    scale: name,
    meanPerS,
    peakPerS,
    partitions,
    collectors,
    speedInstances,
    archivers,
    servingReplicas,
    batchEngine,
    limits: {
      'speed: counters held before the nightly run': `${(keyBytes / GIB).toFixed(1)} GiB (${(keys / 1e6).toFixed(1)}M keys)`,
      'speed: DEDUP_WINDOW for a 15 min retry horizon': `${dedupWindow.toLocaleString('en-US')}/partition, ${(dedupBytes / GIB).toFixed(1)} GiB in all`,
      'speed: rebuild of one partition from W (worst)': `${(sinceW / partitions / 1e6).toFixed(0)}M events, ${(sinceW / partitions / MEASURED.speedRebuildEventsPerS).toFixed(0)} s`,
      'lake: archive files per hour (peak) / per year': `${filesPerHour} / ${(filesPerYear / 1e3).toFixed(0)}k`,
      'lake: file-days index per run (~110 B a file, 1 year)': `${((filesPerYear * 110) / MIB).toFixed(0)} MiB`,
      'batch: rows per nightly run; DuckDB on 2 cores': `${(batchRows / 1e6).toFixed(0)}M; ${duckMinutesOn2Cores.toFixed(1)} min`,
      'serving: batch index per replica': `${(servingBytes / GIB).toFixed(1)} GiB (${(s.songsServed / 1e6).toFixed(0)}M songs × ${SERVED_DAYS} d)`,
    },
  }
}

/** The plan as the Markdown table docs/SCALING.md quotes (a unit test keeps the two in step). */
export function planTable(): string {
  const plans = Object.entries(SCALES).map(([n, s]) => plan(n, s))
  const row = (label: string, f: (p: Plan) => string | number): string =>
    `| ${label} | ${plans.map((p) => String(f(p))).join(' | ')} |`
  const lines = [
    `| | ${plans.map((p) => `${p.scale} events/day`).join(' | ')} |`,
    `|---|${plans.map(() => '---').join('|')}|`,
    row(
      'mean / peak events/s',
      (p) => `${Math.round(p.meanPerS).toLocaleString('en-US')} / ${Math.round(p.peakPerS).toLocaleString('en-US')}`,
    ),
    row('Kafka partitions', (p) => p.partitions),
    row('collector replicas', (p) => p.collectors),
    row('speed instances', (p) => p.speedInstances),
    row('archivers', (p) => p.archivers),
    row('serving replicas', (p) => p.servingReplicas),
    row('batch engine', (p) => p.batchEngine),
    ...Object.keys(plans[0]!.limits).map((k) => row(k, (p) => p.limits[k]!)),
  ]
  return lines.join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(planTable())
