/**
 * Apache Spark for the batch layer's Spark engine in local mode (tests, one machine): PyPI's pyspark wheel, pinned,
 * in a virtualenv of its own under the cache folder (shared/spark.ts says where). The wheel bundles Spark's jars
 * and launchers (`spark-sql`, `spark-submit`), so the installed JDK is all it needs. A cluster's own Spark is used
 * instead by setting SPARK_HOME (docs/SCALING.md).
 */
import fs from 'node:fs'
import path from 'node:path'
import { Errors } from '../shared/errors.ts'
import { PYSPARK_VERSION, pysparkSparkHome, pysparkVenv } from '../shared/spark.ts'
import { runTool, terminalReporter, type ProvisionReporter } from './tool.ts'

/** Creates the venv and installs the pinned pyspark from PyPI; a no-op when it is there. Returns the Spark home. */
export async function ensurePyspark(
  cacheDir: string,
  reporter: ProvisionReporter = terminalReporter(),
): Promise<string> {
  const venv = pysparkVenv(cacheDir)
  const done = path.join(venv, '.complete')
  const existing = pysparkSparkHome(cacheDir)
  if (existing !== undefined && fs.existsSync(done)) return existing
  fs.rmSync(venv, { recursive: true, force: true })
  const step = {
    what: `pyspark ${PYSPARK_VERSION}`,
    doing: `installing pyspark ${PYSPARK_VERSION} from PyPI once, for the Spark batch engine (about 500 MB, 1-2 min)`,
    cachedIn: venv,
    logFile: path.join(cacheDir, 'logs', 'pyspark-install.log'),
    hint: 'pyspark comes from PyPI: install python3 with venv and pip and let pip reach pypi.org (or skip it: services provision --no-spark)',
  }
  await runTool(
    step,
    [
      { cmd: 'python3', args: ['-m', 'venv', venv] },
      {
        cmd: path.join(venv, 'bin', 'python'),
        args: ['-m', 'pip', 'install', '--disable-pip-version-check', `pyspark==${PYSPARK_VERSION}`],
      },
    ],
    reporter,
  )
  const home = pysparkSparkHome(cacheDir)
  if (home === undefined) throw new Errors.SERVICE_FETCH_FAILED(step.what, `bin/spark-submit missing in ${venv}`)
  fs.writeFileSync(done, new Date().toISOString())
  return home
}
