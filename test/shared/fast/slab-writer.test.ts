import { describe, expect, it } from 'vitest'
import { SlabWriter } from '../../../shared/fast/slab-writer.ts'
import { rng } from '../../serving-layer/support/data.ts'

const ALPHABET = ['a', '"', '{', '9', 'é', '€', '😀', '\u0000', ' ']

describe('SlabWriter', () => {
  it('gives each message exactly its pieces, and no later message changes an earlier one, across slabs', () => {
    // A small slab: most messages cross into a new one, some are larger than a slab.
    const writer = new SlabWriter(256)
    const random = rng(5)
    const written: Array<{ got: Buffer; expected: Buffer }> = []
    for (let n = 0; n < 2000; n++) {
      writer.begin()
      const pieces: Buffer[] = []
      for (let k = Math.floor(random() * 6); k > 0; k--) {
        if (random() < 0.5) {
          const b = Buffer.alloc(Math.floor(random() * (random() < 0.1 ? 600 : 80)), Math.floor(random() * 256))
          writer.bytes(b)
          pieces.push(b)
        } else {
          let s = ''
          for (let c = Math.floor(random() * 40); c > 0; c--) s += ALPHABET[Math.floor(random() * ALPHABET.length)]
          writer.text(s)
          pieces.push(Buffer.from(s))
        }
      }
      written.push({ got: writer.finish(), expected: Buffer.concat(pieces) })
    }
    for (const [i, { got, expected }] of written.entries()) expect(got.equals(expected), `message ${i}`).toBe(true)
  })
})
