/** A batch run in its own process, for the crash and concurrency tests: progress as JSON lines on stdout. */
import { runBatch } from '../../../batch-layer/nightly/run.ts'
import { loadConfig } from '../../../shared/config.ts'
import { openLake } from '../../../shared/lake.ts'
import { createLogger } from '../../../shared/logger.ts'

const config = loadConfig()
const lake = openLake(config)
try {
  const summary = await runBatch(
    config,
    { lake, log: createLogger({ level: 'silent' }) },
    {
      onProgress: (p) => process.stdout.write(`${JSON.stringify({ progress: p })}\n`),
    },
  )
  process.stdout.write(`${JSON.stringify({ summary })}\n`)
} catch (err) {
  process.stdout.write(`${JSON.stringify({ error: (err as { code?: string }).code ?? String(err) })}\n`)
  process.exitCode = 1
} finally {
  lake.close()
}
