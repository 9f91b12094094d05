// The connection indicator: a line of text from the status, styled by each
// host's theme. Text only (textContent): nothing here is parsed as HTML.
import type { Status } from '../index'

/** The part of Streamlit's theme the indicator uses (the render event's `theme`). */
export interface IndicatorTheme {
  textColor?: string
  font?: string
  base?: string
}

export type Tone = 'connected' | 'connecting' | 'down' | 'closed'

export interface Label {
  tone: Tone
  text: string
}

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000))

/**
 * 🟢 Connected, 🟡 Connecting…, 🔴 Disconnected (polling every N s),
 * 🔴 Connection error (retry in N s). `pollEveryMs` is null without a fallback URL.
 */
export function describeStatus(status: Status | null, now: number, pollEveryMs: number | null): Label {
  if (!status || status.state === 'connecting') return { tone: 'connecting', text: '🟡 Connecting…' }
  if (status.state === 'connected') return { tone: 'connected', text: '🟢 Connected' }
  if (status.state === 'closed') return { tone: 'closed', text: '⚪ Closed' }
  const polling = status.transport === 'polling' && pollEveryMs !== null ? 'polling every ' + seconds(pollEveryMs) + ' s' : null
  const retry = status.retryAt !== null ? 'retry in ' + seconds(status.retryAt - now) + ' s' : null
  const detail = status.state === 'disconnected' ? polling || retry : retry || polling
  const text = (status.state === 'disconnected' ? '🔴 Disconnected' : '🔴 Connection error') + (detail ? ' (' + detail + ')' : '')
  return { tone: 'down', text }
}

/** Whether the label changes by itself as time passes (a retry countdown). */
export const isCountingDown = (status: Status | null): boolean =>
  !!status && (status.state === 'error' || status.state === 'disconnected') && status.retryAt !== null

/**
 * The indicator's element, added to `parent`: one line that screen readers
 * announce, cut with an ellipsis. `look`: the host's colour and font, as CSS
 * declarations over the host's own theme variables.
 */
export function mountIndicator(parent: HTMLElement | ShadowRoot, look: string): HTMLElement {
  const element = document.createElement('div')
  element.setAttribute('role', 'status')
  element.setAttribute('aria-live', 'polite')
  element.className = 'ws-bridge-status'
  element.style.cssText = look + ';line-height:1.6;white-space:nowrap;overflow:hidden;text-overflow:ellipsis'
  parent.appendChild(element)
  return element
}

/** Writes the label into `element`; hidden, it takes no room at all. */
export function renderIndicator(element: HTMLElement, label: Label, visible: boolean, theme?: IndicatorTheme): void {
  element.hidden = !visible
  element.textContent = visible ? label.text : ''
  element.setAttribute('data-state', label.tone)
  element.title = visible ? label.text : ''
  const body = element.ownerDocument.body
  if (theme && theme.textColor) body.style.color = theme.textColor
  if (theme && theme.font) body.style.fontFamily = theme.font
  if (theme && theme.base) body.setAttribute('data-theme', theme.base)
}
