// Reads the JSON-lines ledger that test/streamlit/app.py appends to: one line
// per script run, fragment run and delivery, keyed by Streamlit session id.
import { readFileSync } from 'node:fs'

export interface Line {
  sid: string
  kind: 'run' | 'fragment' | 'tab' | 'events' | 'click'
  tab?: string
  room?: string
  ids?: string[]
  /** The `resume` id of a reset handed over in this run (its ids are what followed it). */
  reset?: string | null
}

export class Ledger {
  constructor(readonly path: string) {}

  lines(): Line[] {
    let text = ''
    try {
      text = readFileSync(this.path, 'utf8')
    } catch {
      return []
    }
    // The app may be mid-write: a line counts once its newline is there.
    const complete = text.slice(0, text.lastIndexOf('\n') + 1)
    return complete.split('\n').filter((line) => line.trim()).map((line) => JSON.parse(line) as Line)
  }

  /** A position to count from: the number of lines so far. */
  mark(): number {
    return this.lines().length
  }

  /** Streamlit sessions that have served this tab label (a reload adds one). */
  sessions(tab: string): Set<string> {
    return new Set(this.lines().filter((line) => line.tab === tab).map((line) => line.sid))
  }

  /** Script runs (full runs and fragment runs) of this tab after `from`. */
  runs(tab: string, from = 0): number {
    const sessions = this.sessions(tab)
    return this.lines().slice(from).filter((line) => (line.kind === 'run' || line.kind === 'fragment') && sessions.has(line.sid)).length
  }

  /** Runs of this tab after `from` that the "rerun" button caused (they got past the button). */
  clicks(tab: string, from = 0): number {
    const sessions = this.sessions(tab)
    return this.lines().slice(from).filter((line) => line.kind === 'click' && sessions.has(line.sid)).length
  }

  /** Every id handed to the app's script for this tab, in delivery order, across its sessions; a reset as "reset:<resume>". */
  delivered(tab: string, from = 0): string[] {
    return this.lines()
      .slice(from)
      .filter((line) => line.kind === 'events' && line.tab === tab)
      .flatMap((line) => (line.reset ? ['reset:' + line.reset] : []).concat(line.ids || []))
  }

  /** Runs that delivered at least one event, after `from`. */
  deliveries(tab: string, from = 0): number {
    return this.lines().slice(from).filter((line) => line.kind === 'events' && line.tab === tab && (line.ids || []).length > 0).length
  }
}
