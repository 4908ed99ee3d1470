/** The archiver role (docs/ARCHITECTURE.md#lake): Kafka to hourly Parquet files in the lake, exactly once. */
import type { Config } from '../../shared/config.ts'
import { KafkaArchiver } from './archiver.ts'
import type { Archiver, ArchiverDeps } from './types.ts'

export type { Archiver, ArchiverDeps, DrainSummary, PartitionSummary } from './types.ts'

export function buildArchiver(config: Readonly<Config>, deps: ArchiverDeps): Archiver {
  return new KafkaArchiver(config, deps)
}
