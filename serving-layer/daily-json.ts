/**
 * The JSON text of a daily report (without `?parts`), written directly instead of through the response schema:
 * the report routes' hot path. Most days of a range have no realtime part, and such a day's row depends only on
 * the batch snapshot (its values and W), so its text is kept per snapshot and reused until the next batch run, and
 * so is the text of each run of such days (one flat string: a range of 30 days is a few pieces, not 30 to join and
 * flatten on every write); only the few days with realtime data and the totals are written per request. Same keys, order and numbers
 * as the schema serializer (a test compares them).
 */
import type { EntityKind } from '../shared/realtime.ts'
import { formatDay } from '../shared/day.ts'
import { METRICS } from '../shared/metrics.ts'
import type { BatchSnapshot } from './batch/load-views.ts'
import { mergeDays, type MergeInput, type Source } from './merge.ts'
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

/** `rows` by day; `runs` by runKey: the rows of consecutive batch-only days joined with commas. */
interface IdText {
  head: string
  tail: string
  rows: Map<number, string>
  runs: Map<number, string>
}

function join(list: string, item: string): string {
  return list.length === 0 ? item : `${list},${item}`
}

/** A run first..last (at most MAX_RANGE_DAYS < 512 days long) as one number. */
const runKey = (first: number, last: number): number => first * 512 + (last - first)

/** The text of the batch-only days first..last, built from their cached rows once and kept flat. */
function runText(text: SnapshotText, entry: IdText, first: number, last: number): string {
  const key = runKey(first, last)
  let run = entry.runs.get(key)
  if (run === undefined) {
    run = entry.rows.get(first)!
    for (let d = first + 1; d <= last; d++) run += `,${entry.rows.get(d)!}`
    // A joined string is a tree of pieces; reading it as a number makes V8 flatten it once, here, not per write.
    void Number(run)
    entry.runs.set(key, run)
    text.added(last - first + 1)
  }
  return run
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
  let days = ''
  // The batch-only days since runFirst (none while runFirst > runLast), written as one cached run.
  let runFirst = 0
  let runLast = -1
  const sums = mergeDays(merge, (d, p) => {
    if (p.hasRealtime) {
      if (runFirst <= runLast) days = join(days, runText(text, entry, runFirst, runLast))
      runLast = -1
      days = join(days, rowJson(formatDay(d), p.b, p.r, p.exact, p.source))
      return
    }
    if (!entry.rows.has(d)) {
      entry.rows.set(d, rowJson(formatDay(d), p.b, p.r, p.exact, p.source))
      text.added(1)
    }
    if (runFirst > runLast) runFirst = d
    runLast = d
  })
  if (runFirst <= runLast) days = join(days, runText(text, entry, runFirst, runLast))
  return (
    `${entry.head}"from":"${r.from}","to":"${r.to}","watermark":${merge.watermark},"complete":${r.complete},` +
    `"missing":${r.complete ? COMPLETE : JSON.stringify(r.missing)},"days":[${days}],"totals":${totalsJson(sums.values, sums.listenersExact)}${entry.tail}`
  )
}
