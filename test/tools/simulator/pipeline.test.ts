import { describe, expect, it } from 'vitest'
import { Pipeline } from '../../../tools/simulator/pipeline.ts'

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (err: Error) => void } {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

describe('Pipeline', () => {
  it('keeps at most maxInFlight sends outstanding and delivers every item once, in batches', async () => {
    const sends: Array<{ batch: number[]; done: ReturnType<typeof deferred> }> = []
    const pipeline = new Pipeline<number>(
      2,
      (batch) => {
        const done = deferred()
        sends.push({ batch, done })
        return done.promise
      },
      2,
    )
    expect(pipeline.add(1)).toBeUndefined()
    await pipeline.add(2)
    await pipeline.add(3)
    await pipeline.add(4)
    expect(sends.map((s) => s.batch)).toEqual([
      [1, 2],
      [3, 4],
    ])
    pipeline.add(5)
    let third = false
    const waiting = pipeline.add(6)!.then(() => {
      third = true
    })
    await new Promise((r) => setImmediate(r))
    expect(third).toBe(false)
    sends[0]!.done.resolve()
    await waiting
    expect(sends.map((s) => s.batch)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ])
    pipeline.add(7)
    const flushed = pipeline.flush()
    for (const s of sends) s.done.resolve()
    await new Promise((r) => setImmediate(r))
    sends.at(-1)!.done.resolve()
    await flushed
    expect(sends.flatMap((s) => s.batch)).toEqual([1, 2, 3, 4, 5, 6, 7])
  })

  it('surfaces a failed send on the next flush', async () => {
    const pipeline = new Pipeline<number>(
      1,
      async (batch) => {
        if (batch[0] === 2) throw new RangeError('broker said no')
      },
      3,
    )
    await pipeline.add(1)
    await pipeline.add(2)
    await expect(pipeline.flush()).rejects.toThrow('broker said no')
    await expect(pipeline.flush()).resolves.toBeUndefined()
  })
})
