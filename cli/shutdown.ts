/** Ctrl-C (SIGINT) and SIGTERM stop a long-running command once, in order, then exit. */
export function stopOnSignal(stop: () => Promise<void>): void {
  let stopping = false
  const onSignal = (signal: string): void => {
    // A second Ctrl-C while stopping does not cut the clean stop short (the archiver may be finishing a file).
    if (stopping) return
    stopping = true
    console.log(`\n${signal}: stopping`)
    stop().then(
      () => {
        console.log('stopped')
        process.exit(0)
      },
      (err: unknown) => {
        console.error(err)
        process.exit(1)
      },
    )
  }
  process.on('SIGINT', () => onSignal('SIGINT'))
  process.on('SIGTERM', () => onSignal('SIGTERM'))
}
