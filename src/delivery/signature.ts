// Which status changes are worth a rerun: the connection's state, not its
// counters or timestamps (those travel with the next send anyway).
import type { Status } from '../index'

export const statusSignature = (status: Status): string =>
  JSON.stringify([
    status.state, status.transport, status.attempts, status.retryAt, status.lastError,
    status.lastCloseCode, status.url, status.storage, status.storageProblem,
  ])
