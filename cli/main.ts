/** The `playcount` command line. Each command lives in cli/commands/<name>.ts and registers itself here. */
import { Command } from 'commander'
import { isPlaycountError } from '../shared/errors.ts'
import { registerServices } from './commands/services.ts'
import { registerStart } from './commands/start.ts'
import { registerDemo } from './commands/demo.ts'
import { registerArchive } from './commands/archive.ts'
import { registerCatalog } from './commands/catalog.ts'
import { registerGenerate } from './commands/generate.ts'
import { registerBatch } from './commands/batch.ts'
import { registerSql } from './commands/sql.ts'
import { registerKeys } from './commands/keys.ts'

const program = new Command()
  .name('playcount')
  .description(
    'Listening analytics for a music streaming service: Kafka in, Parquet lake, DuckDB batch, realtime counters',
  )
  .showHelpAfterError()

registerServices(program)
registerStart(program)
registerDemo(program)
registerArchive(program)
registerCatalog(program)
registerGenerate(program)
registerBatch(program)
registerSql(program)
registerKeys(program)

try {
  await program.parseAsync(process.argv)
} catch (err) {
  if (isPlaycountError(err)) {
    console.error(`${err.code}: ${err.message}`)
  } else {
    console.error(err)
  }
  process.exitCode = 1
}
