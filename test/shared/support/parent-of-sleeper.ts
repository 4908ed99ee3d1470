/** A process with a long-lived child registered to stop with it; prints the child's pid, then waits. */
import { spawn } from 'node:child_process'
import { stopWithThisProcess } from '../../../shared/child-processes.ts'

const child = stopWithThisProcess(spawn('sleep', ['300'], { stdio: 'ignore' }))
process.stdout.write(`${child.pid}\n`)
if (process.argv[2] === 'exit-later') setTimeout(() => process.exit(0), 300)
else setInterval(() => {}, 1000)
