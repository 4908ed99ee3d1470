/**
 * Keys (shared/access/keys.ts): a key verifies only with its own secret; the stored entry holds a digest, never the
 * secret; revoked and expired entries are not live; a reader must name its artists; the keys document is checked.
 */
import { describe, expect, it } from 'vitest'
import { isLive, mintKey, parseExpiry, parseKeyFile, principalOf, verifyKey } from '../../../shared/access/keys.ts'

describe('API keys', () => {
  it('verifies a key by its id and secret, and nothing else', () => {
    const { entry, key } = mintKey({ name: 'label-a', role: 'reader', artists: ['ar-1', 'ar-1', 'ar-2'] })
    expect(key).toMatch(/^pc_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/)
    expect(JSON.stringify(entry)).not.toContain(key.slice(16))
    expect(entry.artists).toEqual(['ar-1', 'ar-2'])
    const byId = new Map([[entry.id, entry]])
    expect(verifyKey(byId, key)).toBe(entry)
    const other = mintKey({ name: 'x', role: 'admin', artists: [] }).key
    for (const wrong of [
      other,
      `${key.slice(0, -1)}${key.endsWith('A') ? 'B' : 'A'}`,
      key.slice(0, -1),
      `${key} `,
      '',
      'pc__',
      entry.hash,
    ]) {
      expect(verifyKey(byId, wrong), wrong).toBeUndefined()
    }
    expect([...(principalOf(entry).artists as Set<string>)]).toEqual(['ar-1', 'ar-2'])
  })

  it('treats revoked and expired keys as dead, and refuses a reader without artists', () => {
    const now = Date.parse('2026-06-01T00:00:00Z')
    const { entry } = mintKey({ name: 'k', role: 'admin', artists: [], expiresAt: new Date(now + 1000) }, new Date(now))
    expect(isLive(entry, now)).toBe(true)
    expect(isLive(entry, now + 1000)).toBe(false)
    expect(
      isLive({ ...entry, expiresAt: undefined, revokedAt: new Date(now).toISOString() } as typeof entry, now),
    ).toBe(false)
    expect(() => mintKey({ name: 'r', role: 'reader', artists: [] })).toThrow(/--artist ID .* or --all-artists/)
    expect(() => mintKey({ name: 'i', role: 'ingest', artists: ['ar-1'] })).toThrow(/reader keys only/)
    expect(principalOf(mintKey({ name: 'r', role: 'reader', artists: [], allArtists: true }).entry).artists).toBe('all')
  })

  it('reads expiry as a date, a time or a duration', () => {
    const now = Date.parse('2026-06-01T00:00:00Z')
    expect(parseExpiry('30d', now).toISOString()).toBe('2026-07-01T00:00:00.000Z')
    expect(parseExpiry('12h', now).toISOString()).toBe('2026-06-01T12:00:00.000Z')
    expect(parseExpiry('2027-01-01', now).toISOString()).toBe('2027-01-01T00:00:00.000Z')
    expect(() => parseExpiry('next week', now)).toThrow(/--expires "next week" must be/)
  })

  it('checks the keys document and names what is wrong', () => {
    expect(parseKeyFile(undefined, 'keys.json')).toEqual({ version: 1, keys: [] })
    expect(() => parseKeyFile(Buffer.from('{'), 'keys.json')).toThrow(
      /PLAYCOUNT_KEYS_INVALID|keys.json is not valid: not JSON/,
    )
    const { entry } = mintKey({ name: 'k', role: 'admin', artists: [] })
    expect(() =>
      parseKeyFile(Buffer.from(JSON.stringify({ version: 1, keys: [{ ...entry, role: 'owner' }] })), 'keys.json'),
    ).toThrow(/\/keys\/0\/role/)
  })
})
