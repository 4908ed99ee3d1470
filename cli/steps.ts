/**
 * Long steps a person waits for (the demo's history): a progress bar with the elapsed time while a step runs (on a
 * terminal), then one line that says what it did and how long it took (always, so a log or a pipe gets it too).
 */
import { Presets, SingleBar } from 'cli-progress'

export type Update = (value: number, detail?: string) => void

export interface StepOptions<T> {
  title: string
  /** What the bar counts up to, and the unit shown with it. */
  total: number
  unit: string
  /** The closing line's text from the step's result. */
  summary: (result: T) => string
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`
}

export async function runStep<T>(
  o: StepOptions<T>,
  work: (update: Update) => Promise<T>,
  tty = process.stderr.isTTY === true,
): Promise<T> {
  const t0 = Date.now()
  const bar = tty
    ? new SingleBar(
        {
          format: `  ${o.title.padEnd(26)} {bar} {value}/{total} ${o.unit} | {elapsed} {detail}`,
          stream: process.stderr,
          clearOnComplete: true,
          hideCursor: true,
          etaBuffer: 50,
        },
        Presets.shades_classic,
      )
    : undefined
  const elapsed = (): string => seconds(Date.now() - t0)
  bar?.start(o.total, 0, { elapsed: elapsed(), detail: '' })
  // The elapsed time moves even while the count does not (a step waiting on the broker, a batch stage).
  const timer = bar ? setInterval(() => bar.update({ elapsed: elapsed() }), 250) : undefined
  try {
    const result = await work((value, detail) =>
      bar?.update(Math.min(value, o.total), { elapsed: elapsed(), detail: detail ?? '' }),
    )
    bar?.stop()
    console.log(`  ✓ ${o.title}: ${o.summary(result)} (${elapsed()})`)
    return result
  } catch (err) {
    bar?.stop()
    console.log(`  ✗ ${o.title} failed after ${elapsed()}`)
    throw err
  } finally {
    if (timer) clearInterval(timer)
  }
}
