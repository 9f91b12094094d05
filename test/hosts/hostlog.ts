// Reads the JSON-lines log test/hosts/apps/wsb_host_app.py (or streamlit_host_app.py) appends to: what Python got, per
// widget session (a kernel's widget, a Voilà page, a marimo or Streamlit session), with Python's clock.
import { readFileSync, writeFileSync } from 'node:fs'

export interface HostLine {
  pid: number
  session: string
  label: string
  kind: 'session' | 'event' | 'reset' | 'batch' | 'msg' | 'trait'
  /** Epoch ms when Python logged it. */
  t: number
  id?: string
  /** The event's server timestamp (epoch ms). */
  ts?: number
  batches?: number
  name?: string
  value?: unknown
  content?: Record<string, unknown>
  room?: string
}

export class HostLog {
  constructor(readonly path: string) {
    writeFileSync(path, '')
  }

  lines(from = 0): HostLine[] {
    const text = readFileSync(this.path, 'utf8')
    // A line counts once its newline is there.
    const complete = text.slice(0, text.lastIndexOf('\n') + 1)
    return complete.split('\n').filter((line) => line.trim()).slice(from).map((line) => JSON.parse(line) as HostLine)
  }

  mark(): number {
    return this.lines().length
  }

  /** Every event id and reset (as "reset") Python got after `from`, in order; `label` narrows to one config label. */
  delivered(from = 0, label?: string): string[] {
    return this.lines(from)
      .filter((line) => (line.kind === 'event' || line.kind === 'reset') && (label === undefined || line.label === label))
      .map((line) => (line.kind === 'reset' ? 'reset' : String(line.id)))
  }

  count(kind: HostLine['kind'], from = 0, label?: string): number {
    return this.lines(from).filter((line) => line.kind === kind && (label === undefined || line.label === label)).length
  }

  /** Server -> Python latency of the events after `from`, p50 and p99 in ms. */
  latency(from = 0): { p50: number; p99: number; n: number } {
    const ms = this.lines(from).filter((line) => line.kind === 'event' && typeof line.ts === 'number').map((line) => line.t - (line.ts as number)).sort((a, b) => a - b)
    const at = (q: number) => (ms.length ? Math.round(ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]) : NaN)
    return { p50: at(0.5), p99: at(0.99), n: ms.length }
  }
}

/** The config wsb_host_app.make() reads at each execution. */
export interface HostConfig {
  widget: 'bridge' | 'probe'
  label: string
  url?: string
  room?: string
  player?: string
  max_messages?: number
  /** The app shows the bridge twice (the Gradio app: two components; notebooks use a second cell). */
  twice?: boolean
}

export const writeConfig = (path: string, config: HostConfig): void => writeFileSync(path, JSON.stringify(config))

/** A notebook whose first cell makes the widget and shows it; `twice`: a second cell shows it again. */
export function notebook(twice = false): string {
  const cell = (source: string) => ({ cell_type: 'code', execution_count: null, metadata: {}, outputs: [], source })
  const cells = [cell('import wsb_host_app\nw = wsb_host_app.make()\nw')]
  if (twice) cells.push(cell('w'))
  return JSON.stringify({
    cells,
    metadata: { kernelspec: { display_name: 'Python 3', language: 'python', name: 'python3' }, language_info: { name: 'python' } },
    nbformat: 4,
    nbformat_minor: 5,
  })
}
