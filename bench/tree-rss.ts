/**
 * Peak resident memory of this process and all its descendants (shard processes, Spark's JVM), sampled from
 * /proc (Linux). A child's memory does not show in process.memoryUsage(), and the engines differ exactly there.
 */
import fs from 'node:fs'

function treeRssBytes(root: number): number {
  const children = new Map<number, number[]>()
  const rss = new Map<number, number>()
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8')
      // Fields after the command name (which may hold spaces): state ppid ... ; rss is field 24 (pages).
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const pid = Number(entry)
      const ppid = Number(fields[1])
      children.set(ppid, [...(children.get(ppid) ?? []), pid])
      rss.set(pid, Number(fields[21]) * 4096)
    } catch {
      // The process ended between readdir and read: it holds no memory any more.
      continue
    }
  }
  let total = 0
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop()!
    total += rss.get(pid) ?? 0
    stack.push(...(children.get(pid) ?? []))
  }
  return total
}

/** Samples every `everyMs` until stopped; `stop()` returns the peak in bytes. */
export function sampleTreeRss(everyMs = 100): { stop: () => number } {
  let peak = treeRssBytes(process.pid)
  const timer = setInterval(() => {
    peak = Math.max(peak, treeRssBytes(process.pid))
  }, everyMs)
  return {
    stop: () => {
      clearInterval(timer)
      return Math.max(peak, treeRssBytes(process.pid))
    },
  }
}
