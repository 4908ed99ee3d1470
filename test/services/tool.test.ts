/** Provisioning tools run quietly: their output in a log file, one line per step, and on failure the log's tail and what to do. */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { describe, expect, it, onTestFinished } from 'vitest'
import { elapsed, runTool, terminalReporter, type ProvisionReporter, type ToolStep } from '../../services/tool.ts'

function setup(): { step: ToolStep; events: string[]; reporter: ProvisionReporter } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-tool-'))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  const step: ToolStep = {
    what: 'Thing',
    doing: 'building Thing once (about 1 s)',
    cachedIn: dir,
    logFile: path.join(dir, 'logs', 'thing.log'),
    hint: 'install the thing tool',
  }
  const events: string[] = []
  const reporter: ProvisionReporter = {
    start: (s) => events.push(`start ${s.what}`),
    done: (s) => events.push(`done ${s.what}`),
    failed: (s) => events.push(`failed ${s.what}`),
  }
  return { step, events, reporter }
}

describe('runTool', () => {
  it("puts the tool's output in the log file, not on the terminal", async () => {
    const { step, events, reporter } = setup()
    await runTool(
      step,
      [{ cmd: 'sh', args: ['-c', 'for i in 1 2 3; do echo "go: downloading module$i"; done; echo warning >&2'] }],
      reporter,
    )
    expect(events).toEqual(['start Thing', 'done Thing'])
    const log = fs.readFileSync(step.logFile, 'utf8')
    expect(log).toContain('go: downloading module3')
    expect(log).toContain('warning')
  })

  it('on failure names the step, the exit code, the last lines of the log and what to do', async () => {
    const { step, events, reporter } = setup()
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('; echo ')
    const err = await runTool(
      step,
      [{ cmd: 'sh', args: ['-c', `echo ${lines}; echo "fatal: no network" >&2; exit 3`] }],
      reporter,
    ).then(
      () => undefined,
      (e: unknown) => e as Error & { code: string },
    )
    expect(events).toEqual(['start Thing', 'failed Thing'])
    expect(err?.code).toBe('PLAYCOUNT_SERVICE_FETCH_FAILED')
    expect(err?.message).toContain('Thing')
    expect(err?.message).toContain('sh exited with code 3')
    expect(err?.message).toContain(`Last lines of ${step.logFile}`)
    expect(err?.message).toContain('fatal: no network')
    expect(err?.message).toContain('line 39')
    expect(err?.message).not.toContain('line 1\n')
    expect(err?.message).toContain('What to do: install the thing tool; then run `playcount services provision` again')
  })

  it('says so when the tool is not installed', async () => {
    const { step, reporter } = setup()
    await expect(runTool(step, [{ cmd: 'playcount-no-such-tool', args: [] }], reporter)).rejects.toThrow(
      /could not run playcount-no-such-tool: .*ENOENT[\s\S]*What to do: install the thing tool/,
    )
  })

  it('tells a person what is built, how long it usually takes, where it is cached and where its output goes', async () => {
    const { step } = setup()
    const out = new PassThrough()
    let text = ''
    out.on('data', (b: Buffer) => {
      text += b.toString()
    })
    await runTool(
      step,
      [{ cmd: 'sh', args: ['-c', 'echo "go: downloading x"'] }],
      terminalReporter(out as unknown as NodeJS.WriteStream),
    )
    expect(text).toMatch(
      new RegExp(
        `^building Thing once \\(about 1 s\\), cached in ${step.cachedIn}\n  output: ${step.logFile}\n  ✓ Thing ready in \\d+ s\n$`,
      ),
    )
  })

  it('prints durations a person reads', () => {
    expect(elapsed(4_400)).toBe('4 s')
    expect(elapsed(284_000)).toBe('4 min 44 s')
  })
})
