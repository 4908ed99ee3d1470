/**
 * The JSON of a daily report (without `?parts`), written directly instead of through the response schema: the
 * report routes' hot path. Most days of a range have no realtime part, and such a day's row depends only on the
 * batch snapshot (its values and W), so the bytes and the sums of each run of such days are kept per snapshot and
 * reused until the next batch run (a range of 30 days is a few pieces, not 30 rows, and no day of the run is read
 * again); only the few days with realtime data and the totals are written per request. The answer is a Buffer
 * written piece by piece (shared/fast/slab-writer.ts): no string of the whole report to flatten, measure and encode
 * per request, nor one per row or number. Same keys, order and numbers as the schema serializer (a test compares
 * them).
 */
import type { EntityKind } from '../shared/realtime.ts'
import { formatDay } from '../shared/day.ts'
import { SlabWriter } from '../shared/fast/slab-writer.ts'
import { METRICS } from '../shared/metrics.ts'
import type { BatchSnapshot } from './batch/load-views.ts'
import {
  batchRunDays,
  mergeDays,
  type BatchRunSums,
  type MergedDay,
  type MergeInput,
  type MergeVisitor,
  type Source,
} from './merge.ts'
import type { Missing } from './realtime/fan-out.ts'

/** Days of batch runs kept per snapshot before the cache starts over (~150 bytes each). */
const MAX_CACHED_ROWS = 200_000

/** `"plays":`, `,"completes":`, ...: the key of each metric as it precedes the value, in METRICS order. */
const KEYS = METRICS.map((m, i) => `${i === 0 ? '' : ','}${JSON.stringify(m.name)}:`)
const M = KEYS.length

/** One day row as JSON text, the merged values written straight from the two parts. */
function rowJson(day: number, b: Float64Array, r: Float64Array, exact: boolean, source: Source): string {
  let s = `{"date":"${formatDay(day)}",`
  for (let m = 0; m < M; m++) s += KEYS[m]! + (b[m]! + r[m]!)
  return `${s},"listenersExact":${exact},"source":"${source}"}`
}

function totalsJson(v: Float64Array, exact: boolean): string {
  let s = '{'
  for (let m = 0; m < M; m++) s += KEYS[m]! + v[m]!
  return `${s},"listenersExact":${exact}}`
}

const NOTHING_MISSING = '{"instances":[],"partitions":[]}'

/** What does not change while a snapshot is served: per id its head (names) and its runs of batch-only days. */
class SnapshotText {
  private readonly entries = { song: new Map<string, IdText>(), artist: new Map<string, IdText>() }
  private rows = 0

  entry(r: DailyJsonInput): IdText {
    const byId = this.entries[r.kind]
    let e = byId.get(r.id)
    if (e === undefined) {
      // The schema serializer writes optional keys after the required ones: artistId comes last.
      e = {
        head: Buffer.from(`{"kind":"${r.kind}","id":${JSON.stringify(r.id)},"name":${JSON.stringify(r.name)},`),
        tail: Buffer.from(r.artistId === undefined ? '}' : `,"artistId":${JSON.stringify(r.artistId)}}`),
        runs: new Map(),
      }
      byId.set(r.id, e)
    }
    return e
  }

  /** Counts cached rows; past the bound every entry is dropped (the hot ids come back on their next request). */
  added(rows: number): void {
    if ((this.rows += rows) <= MAX_CACHED_ROWS) return
    this.entries.song.clear()
    this.entries.artist.clear()
    this.rows = 0
  }
}

/** `runs` by runKey: the rows of consecutive batch-only days joined with commas, and their sums. */
interface IdText {
  head: Buffer
  tail: Buffer
  runs: Map<number, RunBytes>
}

interface RunBytes extends BatchRunSums {
  bytes: Buffer
}

/** A run first..last (at most MAX_RANGE_DAYS < 512 days long) as one number. */
const runKey = (first: number, last: number): number => first * 512 + (last - first)

/**
 * The batch-only days first..last: their bytes and sums, written once per snapshot and kept, so a request with no
 * realtime data in the run neither walks nor writes its days.
 */
function batchRun(text: SnapshotText, entry: IdText, merge: MergeInput, first: number, last: number): RunBytes {
  const key = runKey(first, last)
  let run = entry.runs.get(key)
  if (run === undefined) {
    let days = ''
    const sums = batchRunDays(merge, first, last, {
      day: (d, p) => {
        const row = rowJson(d, p.b, p.r, p.exact, p.source)
        days = days.length === 0 ? row : `${days},${row}`
      },
    })
    run = { bytes: Buffer.from(days), ...sums }
    entry.runs.set(key, run)
    text.added(last - first + 1)
  }
  return run
}

/**
 * The days of one report written into `out`, day by day and run by run, commas between them (a class: no closures
 * per request).
 */
class DaysWriter implements MergeVisitor {
  private first = true
  /** Text not written yet: the rows since the last run are written in one piece. */
  pending = ''
  constructor(
    private readonly out: SlabWriter,
    private readonly text: SnapshotText,
    private readonly entry: IdText,
    private readonly merge: MergeInput,
  ) {}

  day(d: number, p: Readonly<MergedDay>): void {
    const row = rowJson(d, p.b, p.r, p.exact, p.source)
    this.pending += this.first ? row : `,${row}`
    this.first = false
  }

  batchRun(first: number, last: number): BatchRunSums {
    const run = batchRun(this.text, this.entry, this.merge, first, last)
    if (!this.first) this.pending += ','
    this.first = false
    this.out.text(this.pending)
    this.pending = ''
    this.out.bytes(run.bytes)
    return run
  }
}

const texts = new WeakMap<BatchSnapshot, SnapshotText>()

export interface DailyJsonInput {
  kind: EntityKind
  id: string
  name: string
  artistId: string | undefined
  from: string
  to: string
  complete: boolean
  missing: Missing
}

/** Every report of this process is written into slices of one slab (the invariant: shared/fast/README.md). */
const out = new SlabWriter()

/** The report as UTF-8 JSON: what fast-json-stringify would write from dailyReport's object. */
export function dailyJson(snapshot: BatchSnapshot, r: DailyJsonInput, merge: MergeInput): Buffer {
  let text = texts.get(snapshot)
  if (text === undefined) texts.set(snapshot, (text = new SnapshotText()))
  const entry = text.entry(r)
  out.begin()
  out.bytes(entry.head)
  const days = new DaysWriter(out, text, entry, merge)
  days.pending =
    `"from":"${r.from}","to":"${r.to}","watermark":${merge.watermark},"complete":${r.complete},` +
    `"missing":${r.complete ? NOTHING_MISSING : JSON.stringify(r.missing)},"days":[`
  const sums = mergeDays(merge, days)
  out.text(`${days.pending}],"totals":${totalsJson(sums.values, sums.listenersExact)}`)
  out.bytes(entry.tail)
  return out.finish()
}
