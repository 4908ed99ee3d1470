/**
 * For the engine tests: a lake whose archive has duplicates (retries in later hours, same partition), late events
 * (up to 30 h), several event days and listener profiles, and every view file of a manifest read row for row, in
 * file order, with its Parquet column types — what a reader of the lake can see.
 */
import { writeListeners, type ListenerProfile } from '../../../shared/catalog/listeners.ts'
import type { Config } from '../../../shared/config.ts'
import type { Lake } from '../../../shared/lake.ts'
import { HOUR_MS, type ViewsManifest } from '../../../shared/layout.ts'
import { quoteLiteral } from '../../../shared/duckdb.ts'
import { viewFileDay } from '../../../shared/views.ts'
import { duplicateOf, makeEvents, queryLake, writeArchive, writeProgress, type ArchivedEvent } from './fixture.ts'

export const T0 = Date.parse('2024-03-01T20:00:00Z')
export const W = T0 + 28 * HOUR_MS

/**
 * Profiles for five of the seven listeners (u5 and u6 have none): every engine then computes the profile dimensions
 * and the age × gender cross from catalog/listeners, not only `unknown`.
 */
const PROFILES: ListenerProfile[] = [
  { userId: 'u0', country: 'BR', birthYear: 2000, gender: 'female', tier: 'premium', signupDate: null },
  { userId: 'u1', country: null, birthYear: 1950, gender: 'male', tier: 'free', signupDate: null },
  { userId: 'u2', country: 'JP', birthYear: null, gender: 'unspecified', tier: 'free', signupDate: null },
  { userId: 'u3', country: 'SE', birthYear: 1979, gender: 'non-binary', tier: 'premium', signupDate: null },
  { userId: 'u4', country: 'US', birthYear: 1985, gender: 'female', tier: 'free', signupDate: null },
]

export async function writeEngineLake(config: Readonly<Config>, lake: Lake, n = 1500): Promise<ArchivedEvent[]> {
  const partitions = config.kafka.partitions
  const base = makeEvents({
    n,
    seed: 42,
    arrivalFrom: T0,
    arrivalSpanMs: 27 * HOUR_MS,
    lateMs: 30 * HOUR_MS,
    partitions,
  })
  // Retries: same id, ts and partition (the key is the userId), arriving 5 min to 3 h later.
  const retries = base
    .filter((_, i) => i % 23 === 0)
    .map((e, i) => duplicateOf(e, 5 * 60_000 + (i % 36) * 5 * 60_000, 100_000 + i))
  const events = [...base, ...retries].filter((e) => e.arrivedAt < W)
  await writeArchive(config, lake, events)
  await writeListeners(config, lake, PROFILES)
  await writeProgress(config, lake, W)
  return events
}

export interface ViewDump {
  /** view → day → rows in file order, as JSON. */
  rows: Record<string, Record<string, unknown[]>>
  /** view → day → "column type, ..." of the file. */
  schema: Record<string, Record<string, string>>
}

export async function dumpViews(config: Readonly<Config>, lake: Lake, manifest: ViewsManifest): Promise<ViewDump> {
  const out: ViewDump = { rows: {}, schema: {} }
  for (const [view, keys] of Object.entries(manifest.views)) {
    out.rows[view] = {}
    out.schema[view] = {}
    for (const key of keys) {
      const day = viewFileDay(key) ?? key
      const src = `read_parquet(${quoteLiteral(lake.location(key))})`
      out.rows[view][day] = await queryLake(config, `SELECT * FROM ${src}`)
      const cols = await queryLake(config, `DESCRIBE SELECT * FROM ${src}`)
      out.schema[view][day] = cols.map((c) => `${String(c.column_name)} ${String(c.column_type)}`).join(', ')
    }
  }
  return out
}
