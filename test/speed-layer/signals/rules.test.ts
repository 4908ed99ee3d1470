import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it, onTestFinished } from 'vitest'
import { DEFAULT_RULES, loadRules, parseRules } from '../../../speed-layer/signals/rules.ts'

function file(text: string, name = 'rules.json'): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'playcount-rules-'))
  onTestFinished(() => fs.rmSync(dir, { recursive: true, force: true }))
  const f = path.join(dir, name)
  fs.writeFileSync(f, text)
  return f
}

const rule = (over: Record<string, unknown>) => ({
  rules: [
    { name: 'ok', type: 'play', threshold: 3, window: '30m' },
    { name: 'r2', type: 'skip', threshold: 2, window: '10m', ...over },
  ],
})

describe('interest rules file', () => {
  it('defaults to repeat-play: play >= 3 within 30m per (listener, song)', () => {
    expect(loadRules(undefined)).toEqual([
      { name: 'repeat-play', type: 'play', threshold: 3, windowMs: 1_800_000, per: 'song', latenessMs: 3_600_000 },
    ])
    expect(loadRules(undefined)).toBe(DEFAULT_RULES)
  })

  it('reads a valid file with durations, per and lateness', () => {
    const rules = loadRules(file(JSON.stringify(rule({ per: 'artist', lateness: '90s' }))))
    expect(rules[1]).toEqual({
      name: 'r2',
      type: 'skip',
      threshold: 2,
      windowMs: 600_000,
      per: 'artist',
      latenessMs: 90_000,
    })
  })

  it.each([
    [{ threshold: 1 }, /rule 1 \(r2\): field "threshold" must be an integer, >= 2/],
    [{ threshold: 2.5 }, /rule 1 \(r2\): field "threshold" must be an integer/],
    [{ type: 'listen' }, /rule 1 \(r2\): field "type" must be one of play, complete, skip, like, dislike, pause/],
    [{ window: '30 minutes' }, /rule 1 \(r2\): field "window" must be a duration such as 90s, 30m or 2h/],
    [{ window: '7h' }, /rule 1 \(r2\): field "window" must be between 1s and 6h, got 7h/],
    [{ per: 'album' }, /rule 1 \(r2\): field "per" must be song or artist/],
    [{ name: 'ok' }, /rule 1 \(ok\): field "name" must be unique/],
    [{ name: 'Bad Name' }, /rule 1 \(Bad Name\): field "name" must be lower-case letters, digits and dashes/],
    [{ colour: 'red' }, /rule 1 \(r2\): field "colour"/],
  ])('refuses %j naming the rule and the field', (over, message) => {
    const f = file(JSON.stringify(rule(over)))
    expect(() => loadRules(f)).toThrow(message)
    try {
      loadRules(f)
    } catch (err) {
      expect((err as { code: string }).code).toBe('PLAYCOUNT_SIGNAL_RULES_INVALID')
      expect((err as Error).message).toContain(f)
    }
  })

  it('refuses a file that is missing, not JSON, or not { rules: [...] }', () => {
    expect(() => loadRules('/no/such/rules.json')).toThrow(
      /Invalid interest rules in \/no\/such\/rules.json: cannot read it \(ENOENT\)/,
    )
    expect(() => loadRules(file('{ rules: '))).toThrow(/not JSON/)
    expect(() => parseRules([], 'x.json')).toThrow(/expected \{ "rules": \[ \.\.\. \] \}/)
    expect(() => parseRules({ rules: [{ name: 'a', type: 'play', window: '30m' }] }, 'x.json')).toThrow(
      /rule 0 \(a\): field "threshold"/,
    )
  })

  it('reads YAML when the file ends in .yaml, with the same checks', () => {
    const yaml = 'rules:\n  - name: repeat-play\n    type: play\n    threshold: 3\n    window: 30m\n'
    expect(loadRules(file(yaml, 'rules.yaml'))).toEqual(DEFAULT_RULES)
    expect(() => loadRules(file(yaml.replace('threshold: 3', 'threshold: three'), 'rules.yml'))).toThrow(
      /rule 0 \(repeat-play\): field "threshold" must be an integer/,
    )
    expect(() => loadRules(file('rules: [', 'rules.yaml'))).toThrow(/not YAML/)
  })

  it('takes an empty list as signals off', () => {
    expect(parseRules({ rules: [] }, 'x.json')).toEqual([])
  })
})
