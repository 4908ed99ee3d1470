import type { Config } from '../shared/config.ts'

/** One line of the results table. `baseline` and `ratio` come from the same run. */
export interface BenchRow {
  bench: string
  measure: string
  value: number
  unit: string
  baseline?: number
  ratio?: number
  target?: string
  met?: boolean
}

export interface BenchContext {
  config: Readonly<Config>
  log: (msg: string) => void
}

export interface BenchModule {
  default: (ctx: BenchContext) => Promise<BenchRow[]>
}
