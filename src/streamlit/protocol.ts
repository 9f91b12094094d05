// The contract between the component and the Python wrapper
// (python/streamlit_ws_bridge): the args Python passes, the value the component sends back.
import { type Batch, type HostOptions, readOptions } from '../delivery/batch'

/** Args of ws_bridge(), as Python passes them on every run. */
export interface ComponentArgs extends HostOptions {
  /** The tab the acknowledgement is for: a frame of another tab's ledger ignores it. */
  ackTab: string | null
  /** Highest seq Python has handed to the app for this tab and room. */
  ack: number | null
}

/** What setComponentValue sends: the delivery's batch, everything not yet acknowledged. */
export type ComponentValue = Batch

/** The render event's args, checked: anything missing or mistyped takes its default. */
export function readArgs(raw: unknown): ComponentArgs {
  const args = (typeof raw === 'object' && raw !== null ? raw : {}) as { [name: string]: unknown }
  return {
    ...readOptions(args),
    ackTab: typeof args.ack_tab === 'string' ? args.ack_tab : null,
    ack: typeof args.ack === 'number' && Number.isInteger(args.ack) ? args.ack : null,
  }
}
