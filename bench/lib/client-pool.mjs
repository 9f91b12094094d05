// Child processes each holding a share of a benchmark's clients (lib/cluster-clients.mjs,
// row 7's bridges, unless told another script), driven in step: the same command to every
// one, their answers together.
import { fork } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { BENCH, cpuSeconds, track, withTimeout } from './common.mjs'

const WORKER = join(BENCH, 'lib', 'cluster-clients.mjs')

export class ClientPool {
  constructor(size, worker = WORKER) {
    this.workers = Array.from({ length: size }, () => {
      const child = track(fork(worker, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }))
      child.on('error', () => {}) // a failed send shows as the command's timeout
      return child
    })
  }

  get pids() {
    return this.workers.map((w) => w.pid)
  }

  /** CPU seconds each worker has used so far. */
  cpu() {
    return this.workers.map((w) => cpuSeconds(w.pid))
  }

  /** Sends `message(i)` to worker i; resolves with every answer, rejects on the first failure. */
  call(message, limitMs) {
    return Promise.all(
      this.workers.map(async (worker, i) => {
        const answer = once(worker, 'message')
        const exited = once(worker, 'exit').then(([code]) => {
          throw new Error('client process ' + worker.pid + ' exited (' + code + ')')
        })
        const m = message(i)
        worker.send(m)
        const [reply] = await withTimeout(Promise.race([answer, exited]), limitMs, 'client process ' + i + ' to answer ' + m.cmd)
        if (!reply.ok) throw new Error('client process ' + i + ': ' + reply.error)
        return reply
      }),
    )
  }

  /** Closes every bridge and ends the processes (SIGKILL for one that does not answer). */
  async close() {
    await this.call(() => ({ cmd: 'close' }), 15000).catch(() => {})
    for (const worker of this.workers) if (worker.exitCode === null && worker.signalCode === null) worker.kill('SIGKILL')
  }
}
