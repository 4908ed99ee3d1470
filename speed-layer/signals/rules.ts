/**
 * Interest rules: "a listener who had `threshold` events of `type` on the same song (or artist) within one
 * event-time window of `window`" (docs/ARCHITECTURE.md#signals). They come from the file named by SIGNAL_RULES_FILE
 * (JSON, or YAML when it ends in .yaml or .yml), checked once at start against one TypeBox schema; an error names the rule (index and name) and
 * the field. Without a file the default is `repeat-play: play >= 3 within 30m per (listener, song)`.
 */
import fs from 'node:fs'
import { Type, type Static } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import YAML from 'yaml'
import { EVENT_TYPES, type EventType } from '../../shared/event.ts'
import { Errors } from '../../shared/errors.ts'

const Duration = Type.String({ pattern: '^[0-9]{1,6}(ms|s|m|h)$', description: 'a duration such as 90s, 30m or 2h' })

export const RuleSchema = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'lower-case letters, digits and dashes' }),
    type: Type.Union(
      EVENT_TYPES.map((t) => Type.Literal(t)),
      { description: `one of ${EVENT_TYPES.join(', ')}` },
    ),
    threshold: Type.Integer({ minimum: 2, maximum: 1000 }),
    window: Duration,
    per: Type.Optional(Type.Union([Type.Literal('song'), Type.Literal('artist')], { description: 'song or artist' })),
    lateness: Type.Optional(Duration),
  },
  { additionalProperties: false },
)

export const RulesFileSchema = Type.Object(
  { rules: Type.Array(Type.Unknown(), { maxItems: 64 }) },
  { additionalProperties: false },
)

export type RuleSpec = Static<typeof RuleSchema>

/** A checked rule with durations in ms. */
export interface Rule {
  name: string
  type: EventType
  threshold: number
  windowMs: number
  per: 'song' | 'artist'
  /** How far behind the newest event time of its partition an event may be and still count (default 1 hour). */
  latenessMs: number
}

/** Longest window and lateness (kept small: a rebuild reads this much of the log before the held range again). */
export const MAX_WINDOW_MS = 6 * 3600_000
export const DEFAULT_LATENESS_MS = 3600_000

export const DEFAULT_RULES: readonly Rule[] = Object.freeze([
  Object.freeze({
    name: 'repeat-play',
    type: 'play',
    threshold: 3,
    windowMs: 30 * 60_000,
    per: 'song',
    latenessMs: DEFAULT_LATENESS_MS,
  } as const),
])

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3600_000 }

export function durationMs(d: string): number {
  const m = /^([0-9]+)(ms|s|m|h)$/.exec(d)
  if (m === null) throw new RangeError(`not a duration: ${d}`)
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/** Reads and checks the rules file; the default rules when `file` is undefined. */
export function loadRules(file: string | undefined): readonly Rule[] {
  if (file === undefined) return DEFAULT_RULES
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw new Errors.SIGNAL_RULES_INVALID(file, `cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  const yaml = /\.ya?ml$/i.test(file)
  let doc: unknown
  try {
    doc = yaml ? YAML.parse(text) : JSON.parse(text)
  } catch (err) {
    throw new Errors.SIGNAL_RULES_INVALID(
      file,
      `not ${yaml ? 'YAML' : 'JSON'}: ${(err as Error).message.split('\n')[0]}`,
    )
  }
  return parseRules(doc, file)
}

/** Checks a parsed rules document `{ "rules": [ ... ] }`; `source` names it in errors. */
export function parseRules(doc: unknown, source: string): readonly Rule[] {
  const top = Value.Errors(RulesFileSchema, doc).First()
  if (top)
    throw new Errors.SIGNAL_RULES_INVALID(
      source,
      `${top.path || 'the document'} ${ruleText(top.schema, top.message)} (expected { "rules": [ ... ] } with at most 64 rules; an empty list turns signals off)`,
    )
  const specs = (doc as { rules: unknown[] }).rules
  const rules: Rule[] = []
  const names = new Set<string>()
  specs.forEach((spec, i) => {
    const label = `rule ${i}${typeof (spec as { name?: unknown })?.name === 'string' ? ` (${(spec as { name: string }).name})` : ''}`
    const first = Value.Errors(RuleSchema, spec).First()
    if (first) {
      const field = first.path.replace(/^\//, '') || 'the rule'
      throw new Errors.SIGNAL_RULES_INVALID(
        source,
        `${label}: field "${field}" ${ruleText(first.schema, first.message)}`,
      )
    }
    const s = spec as RuleSpec
    if (names.has(s.name))
      throw new Errors.SIGNAL_RULES_INVALID(source, `${label}: field "name" must be unique, "${s.name}" is used twice`)
    names.add(s.name)
    const windowMs = durationMs(s.window)
    const latenessMs = s.lateness === undefined ? DEFAULT_LATENESS_MS : durationMs(s.lateness)
    if (windowMs < 1000 || windowMs > MAX_WINDOW_MS)
      throw new Errors.SIGNAL_RULES_INVALID(
        source,
        `${label}: field "window" must be between 1s and 6h, got ${s.window}`,
      )
    if (latenessMs > MAX_WINDOW_MS)
      throw new Errors.SIGNAL_RULES_INVALID(source, `${label}: field "lateness" must be at most 6h, got ${s.lateness}`)
    rules.push({ name: s.name, type: s.type, threshold: s.threshold, windowMs, per: s.per ?? 'song', latenessMs })
  })
  return rules
}

function ruleText(schema: unknown, fallback: string): string {
  const s = schema as Record<string, unknown>
  const parts: string[] = []
  if (s.type === 'integer') parts.push('an integer')
  if (typeof s.minimum === 'number') parts.push(`>= ${s.minimum}`)
  if (typeof s.maximum === 'number') parts.push(`<= ${s.maximum}`)
  if (typeof s.description === 'string') parts.push(s.description)
  else if (typeof s.pattern === 'string') parts.push(`matching /${s.pattern}/`)
  return parts.length > 0 ? `must be ${parts.join(', ')}` : fallback.toLowerCase()
}

/** How much of the log before the held range a rebuild must read so every open window is whole again. */
export function rulesWarmupMs(rules: readonly Rule[]): number {
  return rules.reduce((m, r) => Math.max(m, r.windowMs + r.latenessMs), 0)
}
