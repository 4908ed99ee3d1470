/**
 * A tiny seeded PRNG (sfc32) and the draws the catalog and the simulator need. Neither uses Math.random: the same
 * seed must give byte-identical output on every machine.
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number
  /** Integer in [0, n). */
  int(n: number): number
  /** True with probability p. */
  chance(p: number): boolean
  pick<T>(items: readonly T[]): T
  /** Exponential with the given mean. */
  exp(mean: number): number
  /** Standard normal (Box–Muller). */
  normal(): number
  /** A UUID-shaped id (version 4 layout) drawn from this generator. */
  uuid(): string
}

export function createRandom(seed: number): Random {
  // sfc32, seeded through splitmix32 so that nearby seeds give unrelated streams.
  let s = seed >>> 0
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0
    let z = s
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b)
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35)
    return (z ^ (z >>> 16)) >>> 0
  }
  let a = split(),
    b = split(),
    c = split(),
    d = split()
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) u32()
  const next = (): number => u32() / 4294967296
  const hex = (x: number, digits: number): string => x.toString(16).padStart(digits, '0')
  return {
    next,
    int: (n) => Math.floor(next() * n),
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    exp: (mean) => -Math.log(1 - next()) * mean,
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    uuid: () => {
      const x = u32(),
        y = u32(),
        z = u32(),
        w = u32()
      return `${hex(x, 8)}-${hex(y >>> 16, 4)}-4${hex(y & 0xfff, 3)}-${hex(((z >>> 28) & 3) | 8, 1)}${hex((z >>> 16) & 0xfff, 3)}-${hex(z & 0xffff, 4)}${hex(w, 8)}`
    },
  }
}

/** Derives an independent seed for a named sub-stream, so adding faults never shifts the listeners' stream. */
export function subSeed(seed: number, name: string): number {
  let h = (seed ^ 0x811c9dc5) >>> 0
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** Cumulative weights for O(log n) weighted draws. */
export class WeightedTable<T> {
  private readonly cumulative: Float64Array
  private readonly total: number

  constructor(
    readonly items: readonly T[],
    weights: readonly number[],
  ) {
    this.cumulative = new Float64Array(items.length)
    let sum = 0
    for (let i = 0; i < items.length; i++) {
      sum += weights[i] ?? 0
      this.cumulative[i] = sum
    }
    this.total = sum
  }

  draw(rng: Random): T {
    const x = rng.next() * this.total
    let lo = 0
    let hi = this.cumulative.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.cumulative[mid]! > x) hi = mid
      else lo = mid + 1
    }
    return this.items[lo]!
  }
}

/** Zipf weights 1/rank^s for ranks 1..n. */
export function zipfWeights(n: number, s: number): number[] {
  return Array.from({ length: n }, (_, i) => 1 / Math.pow(i + 1, s))
}
