/**
 * API keys: who may call the report API and the collector, and for which artists (docs/ARCHITECTURE.md, Access).
 *
 * A key reads `pc_<id>_<secret>`: the id (12 hex) finds the entry, the secret (32 random bytes, base64url) is checked
 * against the entry's SHA-256 digest in constant time. A fast hash is right here, unlike for passwords: the secret is
 * 256 random bits, not something a person chose, so no dictionary exists and a slow KDF would only cost every request
 * CPU without making a guess any less hopeless. The secret itself is printed once and never stored.
 */
import crypto from 'node:crypto'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { Errors } from '../errors.ts'

export const KEY_ROLES = ['reader', 'ingest', 'admin'] as const
export type KeyRole = (typeof KEY_ROLES)[number]

const Id = Type.String({ pattern: '^[0-9a-f]{12}$' })

export const KeyEntrySchema = Type.Object(
  {
    id: Id,
    name: Type.String({ minLength: 1, maxLength: 100 }),
    role: Type.Union(KEY_ROLES.map((r) => Type.Literal(r))),
    /** The artists a reader may see (its roster); empty with `allArtists` for a reader of everything, and for others. */
    artists: Type.Array(Type.String({ minLength: 1, maxLength: 64 })),
    allArtists: Type.Optional(Type.Boolean()),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    createdAt: Type.String(),
    expiresAt: Type.Optional(Type.String()),
    revokedAt: Type.Optional(Type.String()),
    /** SHA-256 of the secret, hex. */
    hash: Type.String({ pattern: '^[0-9a-f]{64}$' }),
  },
  { additionalProperties: false },
)
export type KeyEntry = Static<typeof KeyEntrySchema>

export const KeyFileSchema = Type.Object({ version: Type.Literal(1), keys: Type.Array(KeyEntrySchema) })
export type KeyFile = Static<typeof KeyFileSchema>

/** Who a request is, resolved from its bearer key; routes read it from `req.principal`. */
export interface Principal {
  /** The key's name (API_TOKEN and INTERNAL_TOKEN are principals of those names): the audit log and metrics label. */
  name: string
  role: KeyRole
  /** The artists the principal may read; 'all' for admins and readers of everything. */
  artists: ReadonlySet<string> | 'all'
  label?: string
}

export const mayRead = (p: Principal, artistId: string): boolean => p.artists === 'all' || p.artists.has(artistId)

const KEY_RE = /^pc_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$/

const sha256 = (s: string): Buffer => crypto.createHash('sha256').update(s).digest()

export interface NewKey {
  name: string
  role: KeyRole
  artists: string[]
  allArtists?: boolean
  label?: string
  expiresAt?: Date
}

/** A fresh key: the entry to store and the secret to print once. */
export function mintKey(spec: NewKey, now = new Date()): { entry: KeyEntry; key: string } {
  if (spec.role === 'reader' && spec.artists.length === 0 && spec.allArtists !== true) {
    throw new Errors.BAD_REQUEST('a reader key needs --artist ID (its roster) or --all-artists')
  }
  if (spec.role !== 'reader' && (spec.artists.length > 0 || spec.allArtists === true)) {
    throw new Errors.BAD_REQUEST(
      `--artist and --all-artists apply to reader keys only (an ${spec.role} key's scope is its role)`,
    )
  }
  if (spec.expiresAt !== undefined && spec.expiresAt.getTime() <= now.getTime())
    throw new Errors.BAD_REQUEST('--expires must be in the future')
  const id = crypto.randomBytes(6).toString('hex')
  const secret = crypto.randomBytes(32).toString('base64url')
  const entry: KeyEntry = {
    id,
    name: spec.name,
    role: spec.role,
    artists: [...new Set(spec.artists)],
    createdAt: now.toISOString(),
    hash: sha256(secret).toString('hex'),
    ...(spec.allArtists === true ? { allArtists: true } : {}),
    ...(spec.label === undefined ? {} : { label: spec.label }),
    ...(spec.expiresAt === undefined ? {} : { expiresAt: spec.expiresAt.toISOString() }),
  }
  return { entry, key: `pc_${id}_${secret}` }
}

/** The entry a presented key belongs to, when the id is known and the secret matches; undefined otherwise. */
export function verifyKey(byId: ReadonlyMap<string, KeyEntry>, presented: string): KeyEntry | undefined {
  const m = KEY_RE.exec(presented)
  if (!m) return undefined
  const entry = byId.get(m[1]!)
  if (entry === undefined) return undefined
  return crypto.timingSafeEqual(sha256(m[2]!), Buffer.from(entry.hash, 'hex')) ? entry : undefined
}

/** Whether a stored entry is usable now (not revoked, not expired). */
export function isLive(entry: KeyEntry, now: number): boolean {
  return entry.revokedAt === undefined && (entry.expiresAt === undefined || Date.parse(entry.expiresAt) > now)
}

export function principalOf(entry: KeyEntry): Principal {
  return {
    name: entry.name,
    role: entry.role,
    artists: entry.role === 'admin' || entry.allArtists === true ? 'all' : new Set(entry.artists),
    ...(entry.label === undefined ? {} : { label: entry.label }),
  }
}

export function parseKeyFile(bytes: Buffer | undefined, where: string): KeyFile {
  if (bytes === undefined) return { version: 1, keys: [] }
  let json: unknown
  try {
    json = JSON.parse(bytes.toString('utf8'))
  } catch (err) {
    throw new Errors.KEYS_INVALID(where, `not JSON (${(err as Error).message})`)
  }
  const first = Value.Errors(KeyFileSchema, json).First()
  if (first) throw new Errors.KEYS_INVALID(where, `${first.path || '/'} ${first.message}`)
  return json as KeyFile
}

/** `--expires`: an ISO-8601 date or time, or a duration from now such as `30d`, `12h`, `90m`. */
export function parseExpiry(spec: string, now = Date.now()): Date {
  const d = /^(\d{1,5})([dhm])$/.exec(spec)
  if (d) return new Date(now + Number(d[1]) * { d: 86_400_000, h: 3_600_000, m: 60_000 }[d[2] as 'd' | 'h' | 'm'])
  const t = /^\d{4}-\d{2}-\d{2}(T.*)?$/.test(spec) ? Date.parse(spec) : Number.NaN
  if (Number.isNaN(t))
    throw new Errors.BAD_REQUEST(
      `--expires "${spec}" must be an ISO-8601 date or time, or a duration like 30d, 12h, 90m`,
    )
  return new Date(t)
}
