/**
 * The JSON text of a daily report (without `?parts`), written directly instead of through the response schema:
 * the report routes' hot path. Most days of a range have no realtime part, and such a day's row depends only on
 * the batch snapshot (its values and W), so its text is kept per snapshot and reused until the next batch run, and
 * so are the text and the sums of each run of such days (one flat string: a range of 30 days is a few pieces, not
 * 30 to join and flatten on every write, and no day of the run is read again); only the few days with realtime
 * data and the totals are written per request. Same keys, order and numbers as the schema serializer (a test
 * compares them).
 */
import type { EntityKind } from '../shared/realtime.ts'
import { formatDay } from '../shared/day.ts'
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

/** Rows kept per snapshot before the cache starts over (~150 bytes each): a year of 2,000 songs is 730,000. */
const MAX_CACHED_ROWS = 200_000

/** `"plays":`, `,"completes":`, ...: the key of each metric as it precedes the value, in METRICS order. */
const KEYS = METRICS.map((m, i) => `${i === 0 ? '' : ','}${JSON.stringify(m.name)}:`)
const M = KEYS.length

/** One day row as JSON text, the merged values written straight from the two parts. */
function rowJson(date: string, b: Float64Array, r: Float64Array, exact: boolean, source: Source): string {
  let s = `{"date":"${date}",`
  for (let m = 0; m < M; m++) s += KEYS[m]! + (b[m]! + r[m]!)
  return `${s},"listenersExact":${exact},"source":"${source}"}`
}

function totalsJson(v: Float64Array, exact: boolean): string {
  let s = '{'
  for (let m = 0; m < M; m++) s += KEYS[m]! + v[m]!
  return `${s},"listenersExact":${exact}}`
}

const COMPLETE = '{"instances":[],"partitions":[]}'

/** The text that does not change while a snapshot is served: per id its head (names) and its batch-only rows. */
class SnapshotText {
  private readonly entries = { song: new Map<string, IdText>(), artist: new Map<string, IdText>() }
  private rows = 0

  entry(r: DailyJsonInput): IdText {
    const byId = this.entries[r.kind]
    let e = byId.get(r.id)
    if (e === undefined) {
      // The schema serializer writes optional keys after the required ones: artistId comes last.
      e = {
        head: `{"kind":"${r.kind}","id":${JSON.stringify(r.id)},"name":${JSON.stringify(r.name)},`,
        tail: r.artistId === undefined ? '}' : `,"artistId":${JSON.stringify(r.artistId)}}`,
        rows: new Map(),
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

/** `rows` by day; `runs` by runKey: the rows of consecutive batch-only days joined with commas, and their sums. */
interface IdText {
  head: string
  tail: string
  rows: Map<number, string>
  runs: Map<number, RunText>
}

interface RunText extends BatchRunSums {
  text: string
}

function join(list: string, item: string): string {
  return list.length === 0 ? item : `${list},${item}`
}

/** A run first..last (at most MAX_RANGE_DAYS < 512 days long) as one number. */
const runKey = (first: number, last: number): number => first * 512 + (last - first)

/**
 * The batch-only days first..last: their text and sums, written from their rows once per snapshot and kept (the
 * text flat), so a request with no realtime data in the run neither walks nor writes its days.
 */
function batchRun(text: SnapshotText, entry: IdText, merge: MergeInput, first: number, last: number): RunText {
  const key = runKey(first, last)
  let run = entry.runs.get(key)
  if (run === undefined) {
    let days = ''
    const sums = batchRunDays(merge, first, last, {
      day: (d, p) => {
        let row = entry.rows.get(d)
        if (row === undefined) {
          entry.rows.set(d, (row = rowJson(formatDay(d), p.b, p.r, p.exact, p.source)))
          text.added(1)
        }
        days = join(days, row)
      },
    })
    // A joined string is a tree of pieces; reading it as a number makes V8 flatten it once, here, not per write.
    void Number(days)
    run = { text: days, ...sums }
    entry.runs.set(key, run)
    text.added(last - first + 1)
  }
  return run
}

/** The days of one report as JSON text, day by day and run by run (a class: no closures per request). */
class DaysWriter implements MergeVisitor {
  days = ''
  constructor(
    private readonly text: SnapshotText,
    private readonly entry: IdText,
    private readonly merge: MergeInput,
  ) {}

  day(d: number, p: Readonly<MergedDay>): void {
    this.days = join(this.days, rowJson(formatDay(d), p.b, p.r, p.exact, p.source))
  }

  batchRun(first: number, last: number): BatchRunSums {
    const run = batchRun(this.text, this.entry, this.merge, first, last)
    this.days = join(this.days, run.text)
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

/** The report as JSON text: what fast-json-stringify would write from dailyReport's object. */
export function dailyJson(snapshot: BatchSnapshot, r: DailyJsonInput, merge: MergeInput): string {
  let text = texts.get(snapshot)
  if (text === undefined) texts.set(snapshot, (text = new SnapshotText()))
  const entry = text.entry(r)
  const writer = new DaysWriter(text, entry, merge)
  const sums = mergeDays(merge, writer)
  const days = writer.days
  return (
    `${entry.head}"from":"${r.from}","to":"${r.to}","watermark":${merge.watermark},"complete":${r.complete},` +
    `"missing":${r.complete ? COMPLETE : JSON.stringify(r.missing)},"days":[${days}],"totals":${totalsJson(sums.values, sums.listenersExact)}${entry.tail}`
  )
}
