import { describe, expect, it } from 'vitest'
import { Interner } from '../../../shared/fast/interner.ts'

const encoder = new TextEncoder()

describe('Interner', () => {
  it(
    'gives each distinct id one dense number, found again from bytes at any offset, across table and arena growth',
    { timeout: 60_000 },
    () => {
      const ids = new Interner(true)
      const expected = new Map<string, number>()
      let seed = 7
      for (let n = 0; n < 20_000; n++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
        const id = `user-${seed % 5000}-${'x'.repeat(seed % 70)}` // long ids too: the arena grows
        const framed = encoder.encode(`"${id}",`)
        const got = n % 2 === 0 ? ids.intern(framed, 1, framed.length - 2) : ids.internString(id)
        if (!expected.has(id)) expected.set(id, expected.size)
        expect(got).toBe(expected.get(id))
      }
      expect(ids.size).toBe(expected.size)
      for (const [id, n] of expected) {
        expect(ids.stringOf(n)).toBe(id)
        const bytes = encoder.encode(id)
        expect(ids.find(bytes, 0, bytes.length)).toBe(n)
      }
      expect(ids.internString('never-seen', false)).toBe(-1)
      expect(ids.find(encoder.encode('user-'), 0, 5)).toBe(-1) // a prefix of known ids is not one of them
    },
  )
})
