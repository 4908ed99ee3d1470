/**
 * Listener profiles: `catalog/listeners.parquet` in the lake (docs/ARCHITECTURE.md#listener-profiles). One row per
 * account: `user_id`, `country` (of the account), `birth_year`, `gender` (as reported), `tier` (free|premium),
 * `signup_date`. Generated with the catalog (ids matching the simulator's listeners) or imported from a user's
 * Parquet or CSV file, every row checked: a bad value names its row and column. A lake without the file has no
 * profiles; events of listeners without one still count, under `unknown`.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Config } from '../config.ts'
import { isDayText } from '../day.ts'
import { GENDERS, TIERS, type Gender, type Tier } from '../dimensions.ts'
import { openDuck, quoteLiteral, type DuckSession } from '../duckdb.ts'
import { Errors } from '../errors.ts'
import type { Lake } from '../lake.ts'
import { CATALOG_LISTENERS_KEY } from '../layout.ts'
import { createRandom, subSeed, WeightedTable } from '../random.ts'

export interface ListenerProfile {
  userId: string
  country: string | null
  birthYear: number | null
  gender: Gender
  tier: Tier
  /** YYYY-MM-DD, or null when not known. */
  signupDate: string | null
}

/** The columns of catalog/listeners and of an imported file, with what each must hold. */
export const LISTENER_COLUMNS = [
  ['user_id', 'required, 1-64 chars of [A-Za-z0-9_.:-], unique'],
  ['country', 'ISO-3166-1 alpha-2 (two capital letters), or empty'],
  ['birth_year', 'a year 1900..2100, or empty'],
  ['gender', `${GENDERS.join(', ')} (empty = unspecified)`],
  ['tier', TIERS.join(' or ')],
  ['signup_date', 'YYYY-MM-DD, or empty'],
] as const

const USER_ID = /^[A-Za-z0-9_.:-]{1,64}$/
const COUNTRY = /^[A-Z]{2}$/

/** The simulator's listener `index` (0-based) of `total` has this id; generated profiles use the same ids. */
export function listenerId(index: number, total: number): string {
  return `user-${String(index + 1).padStart(Math.max(6, String(total).length), '0')}`
}

// ---- generation ---------------------------------------------------------------------------------------------------

const COUNTRIES: ReadonlyArray<readonly [string, number]> = [
  ['US', 28],
  ['BR', 9],
  ['GB', 7],
  ['DE', 6],
  ['MX', 5],
  ['FR', 4],
  ['IN', 5],
  ['JP', 3],
  ['KR', 2],
  ['CA', 3],
  ['ES', 3],
  ['IT', 3],
  ['AU', 2],
  ['NL', 2],
  ['SE', 2],
  ['PL', 2],
  ['ID', 3],
  ['PH', 2],
  ['NG', 2],
  ['AR', 2],
  ['CO', 2],
  ['ZA', 1],
]
/** Age at signup year by band midpoints, roughly a streaming service's audience. */
const AGES: ReadonlyArray<readonly [number, number]> = [
  [16, 8],
  [21, 24],
  [29, 27],
  [39, 18],
  [49, 11],
  [59, 7],
  [70, 5],
]
const GENDER_MIX: ReadonlyArray<readonly [Gender, number]> = [
  ['female', 46],
  ['male', 46],
  ['non-binary', 2],
  ['unspecified', 6],
]

export function generateListeners(spec: { listeners: number; seed: number; year?: number }): ListenerProfile[] {
  if (!Number.isInteger(spec.listeners) || spec.listeners < 0 || spec.listeners > 50_000_000)
    throw new RangeError('listeners must be 0..50000000')
  const rng = createRandom(subSeed(spec.seed, 'listeners'))
  const countries = new WeightedTable(
    COUNTRIES.map((c) => c[0]),
    COUNTRIES.map((c) => c[1]),
  )
  const ages = new WeightedTable(
    AGES.map((a) => a[0]),
    AGES.map((a) => a[1]),
  )
  const genders = new WeightedTable(
    GENDER_MIX.map((g) => g[0]),
    GENDER_MIX.map((g) => g[1]),
  )
  const year = spec.year ?? 2026
  const out: ListenerProfile[] = []
  for (let i = 0; i < spec.listeners; i++) {
    const signup = Date.UTC(year - 6, 0, 1) + rng.int(6 * 365) * 86_400_000
    out.push({
      userId: listenerId(i, spec.listeners),
      country: rng.chance(0.02) ? null : countries.draw(rng),
      birthYear: rng.chance(0.05) ? null : year - ages.draw(rng) - rng.int(5) + 2,
      gender: genders.draw(rng),
      tier: rng.chance(0.42) ? 'premium' : 'free',
      signupDate: new Date(signup).toISOString().slice(0, 10),
    })
  }
  return out
}

// ---- validation ---------------------------------------------------------------------------------------------------

function bad(row: number, column: string, value: unknown, rule: string): never {
  throw new Errors.LISTENERS_INVALID(`row ${row}, column ${column}: ${JSON.stringify(value)} is not ${rule}`)
}

/** One row as read (every column as text or null), `row` 1-based among the data rows. */
export function parseListenerRow(r: Record<string, string | null>, row: number): ListenerProfile {
  const text = (c: string): string | null => {
    const v = r[c]
    return v === null || v === undefined || v.trim() === '' ? null : v.trim()
  }
  const userId = text('user_id')
  if (userId === null || !USER_ID.test(userId)) bad(row, 'user_id', r.user_id, 'an id of 1-64 chars of [A-Za-z0-9_.:-]')
  const country = text('country')
  if (country !== null && !COUNTRY.test(country))
    bad(row, 'country', country, 'two capital letters (ISO-3166-1 alpha-2)')
  const by = text('birth_year')
  const birthYear = by === null ? null : Number(by)
  if (birthYear !== null && (!Number.isInteger(birthYear) || birthYear < 1900 || birthYear > 2100))
    bad(row, 'birth_year', by, 'a year 1900..2100')
  const gender = text('gender') ?? 'unspecified'
  if (!(GENDERS as readonly string[]).includes(gender)) bad(row, 'gender', gender, `one of ${GENDERS.join(', ')}`)
  const tier = text('tier')
  if (tier === null || !(TIERS as readonly string[]).includes(tier))
    bad(row, 'tier', r.tier, `one of ${TIERS.join(', ')}`)
  const signupDate = text('signup_date')
  if (signupDate !== null && !isDayText(signupDate)) bad(row, 'signup_date', signupDate, 'a date YYYY-MM-DD')
  return { userId, country, birthYear, gender: gender as Gender, tier: tier as Tier, signupDate }
}

// ---- storage ------------------------------------------------------------------------------------------------------

const DDL = 'user_id VARCHAR, country VARCHAR, birth_year INTEGER, gender VARCHAR, tier VARCHAR, signup_date DATE'

/** Writes catalog/listeners.parquet (zstd, ordered by user_id), appearing whole. */
export async function writeListeners(
  config: Readonly<Config>,
  lake: Lake,
  profiles: readonly ListenerProfile[],
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-listeners-'))
  const duck = await openDuck(config, { threads: 1 })
  try {
    const json = path.join(dir, 'listeners.ndjson')
    const parquet = path.join(dir, 'listeners.parquet')
    fs.writeFileSync(
      json,
      profiles
        .map((p) =>
          JSON.stringify({
            user_id: p.userId,
            country: p.country,
            birth_year: p.birthYear,
            gender: p.gender,
            tier: p.tier,
            signup_date: p.signupDate,
          }),
        )
        .join('\n') + '\n',
    )
    const columns = `{${DDL.split(', ')
      .map((c) => {
        const [n, t] = c.split(' ')
        return `${quoteLiteral(n!)}: ${quoteLiteral(t!)}`
      })
      .join(', ')}}`
    const source =
      profiles.length === 0
        ? `SELECT ${DDL.split(', ')
            .map((c) => {
              const [n, t] = c.split(' ')
              return `CAST(NULL AS ${t!}) AS ${n!}`
            })
            .join(', ')} WHERE false`
        : `SELECT * FROM read_json(${quoteLiteral(json)}, format = 'newline_delimited', columns = ${columns})`
    await duck.conn.run(
      `COPY (${source} ORDER BY user_id) TO ${quoteLiteral(parquet)} (FORMAT parquet, COMPRESSION zstd)`,
    )
    await lake.putFile(CATALOG_LISTENERS_KEY, parquet)
  } finally {
    duck.close()
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

async function readRows(duck: DuckSession, relation: string, what: string): Promise<ListenerProfile[]> {
  const described = await duck.conn.runAndReadAll(`DESCRIBE SELECT * FROM ${relation}`)
  const present = new Set(described.getRows().map((r) => String(r[0])))
  for (const [column, rule] of LISTENER_COLUMNS) {
    if (!present.has(column))
      throw new Errors.LISTENERS_INVALID(
        `${what} has no column ${column} (${rule}); columns: ${[...present].join(', ')}`,
      )
  }
  const cols = LISTENER_COLUMNS.map(([c]) => `CAST(${c} AS VARCHAR) AS ${c}`).join(', ')
  const rows = (await duck.conn.runAndReadAll(`SELECT ${cols} FROM ${relation}`)).getRows()
  const seen = new Set<string>()
  return rows.map((values, i) => {
    const r: Record<string, string | null> = {}
    LISTENER_COLUMNS.forEach(([c], k) => {
      r[c] = values[k] === null ? null : String(values[k])
    })
    const p = parseListenerRow(r, i + 1)
    if (seen.has(p.userId)) bad(i + 1, 'user_id', p.userId, 'unique (it appears on an earlier row)')
    seen.add(p.userId)
    return p
  })
}

/** The lake's profiles; none when the lake has no catalog/listeners.parquet. */
export async function loadListeners(config: Readonly<Config>, lake: Lake): Promise<ListenerProfile[]> {
  if (!(await lake.exists(CATALOG_LISTENERS_KEY))) return []
  const duck = await openDuck(config, { threads: 1 })
  try {
    return await readRows(
      duck,
      `read_parquet(${quoteLiteral(lake.location(CATALOG_LISTENERS_KEY))})`,
      lake.location(CATALOG_LISTENERS_KEY),
    )
  } finally {
    duck.close()
  }
}

/** Reads and checks a user's `.parquet` or `.csv` file (header row; the columns above, in any order). */
export async function readListenersFile(config: Readonly<Config>, file: string): Promise<ListenerProfile[]> {
  if (!fs.existsSync(file)) throw new Errors.LISTENERS_INVALID(`${file} does not exist`)
  const isParquet = file.toLowerCase().endsWith('.parquet')
  if (!isParquet && !file.toLowerCase().endsWith('.csv'))
    throw new Errors.LISTENERS_INVALID(`${file}: expected a .parquet or .csv file`)
  const duck = await openDuck(config, { threads: 1 })
  try {
    const relation = isParquet
      ? `read_parquet(${quoteLiteral(file)})`
      : `read_csv(${quoteLiteral(file)}, header = true, all_varchar = true)`
    return await readRows(duck, relation, file)
  } catch (err) {
    if (err instanceof Error && (err as { code?: string }).code === Errors.LISTENERS_INVALID.code) throw err
    throw new Errors.LISTENERS_INVALID(`${file} cannot be read: ${(err as Error).message.split('\n')[0] ?? ''}`, {
      cause: err,
    })
  } finally {
    duck.close()
  }
}
