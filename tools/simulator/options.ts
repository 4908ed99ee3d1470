/** Parsing of the simulator's command-line values: durations (90s, 2h, 3d, 1h30m) and start instants. */
import { Errors } from '../../shared/errors.ts'
import { DAY_MS } from '../../shared/layout.ts'

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS }

/** `90s`, `2h`, `3d`, `1h30m`, `500ms`; a bare number is seconds. */
export function parseDuration(text: string): number {
  const s = text.trim()
  if (/^\d+(\.\d+)?$/.test(s)) return Math.round(Number(s) * 1000)
  const parts = [...s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== s) {
    throw new Errors.BAD_REQUEST(`duration "${text}" must look like 90s, 15m, 2h, 3d or 1h30m`)
  }
  return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * UNIT_MS[p[2]!]!, 0))
}

/** `now` or an ISO-8601 instant with a zone. */
export function parseStart(text: string, now: number): number {
  if (text === 'now') return now
  const t = Date.parse(text)
  if (!/T.*(Z|[+-]\d{2}:?\d{2})$/i.test(text) || Number.isNaN(t)) {
    throw new Errors.BAD_REQUEST(`start "${text}" must be "now" or ISO-8601 with a zone, e.g. 2024-06-01T00:00:00Z`)
  }
  return t
}

export function parseFraction(name: string, text: string): number {
  const v = Number(text)
  if (!(v >= 0 && v <= 1)) throw new Errors.BAD_REQUEST(`--${name} must be a fraction between 0 and 1, got ${text}`)
  return v
}
