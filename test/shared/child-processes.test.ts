import { spawn } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const parentScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'support', 'parent-of-sleeper.ts')

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Starts the parent; resolves with its child's pid and the parent's exit. */
async function startParent(mode: string): Promise<{ childPid: number; parentExit: Promise<string> }> {
  const parent = spawn(process.execPath, ['--import', 'tsx', parentScript, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const parentExit = new Promise<string>((resolve) =>
    parent.on('exit', (code, signal) => resolve(signal ?? `code ${code}`)),
  )
  const childPid = await new Promise<number>((resolve, reject) => {
    parent.stdout.once('data', (b: Buffer) => resolve(Number(b.toString().trim())))
    parent.once('exit', () => reject(new Error('parent exited before printing its child')))
  })
  if (mode !== 'exit-later') parent.kill('SIGTERM')
  return { childPid, parentExit }
}

async function gone(pid: number): Promise<boolean> {
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 50))
  return !alive(pid)
}

describe('child processes stop with this process', () => {
  it('a SIGTERM to the parent stops the child, and the parent still ends by the signal', async () => {
    const { childPid, parentExit } = await startParent('wait')
    expect(await parentExit).toBe('SIGTERM')
    expect(await gone(childPid)).toBe(true)
  }, 20_000)

  it('process.exit of the parent stops the child', async () => {
    const { childPid, parentExit } = await startParent('exit-later')
    expect(await parentExit).toBe('code 0')
    expect(await gone(childPid)).toBe(true)
  }, 20_000)
})
