// @vitest-environment jsdom
// The bundles shorten the property names listed in rollup.config.mjs
// (INTERNAL_NAMES). A name there that anything outside a bundle reads or writes
// would break it silently: none may be public API, stored, sent to Python or
// part of the DOM or a host's API.
import { describe, expect, it } from 'vitest'
import { HOST_INTERNAL_NAMES, INTERNAL_NAMES } from '../rollup.config.mjs'
import { DEFAULTS } from '../src/bridge/options'
import { initialStatus } from '../src/bridge/status'
import { readArgs } from '../src/streamlit/protocol'

const names = INTERNAL_NAMES as string[]

const optionNames = [...Object.keys(DEFAULTS), 'url', 'room']
// The names Python passes the host modules (each wrapper's keyword arguments); readOptions and
// readArgs turn them into camelCase fields that stay inside the module.
const PYTHON_NAMES = ['url', 'room', 'fallback_url', 'token_url', 'player', 'max_messages', 'throttle_ms', 'show_status', 'ack_tab', 'ack']
// The fields the host modules make of them: internal, except those spelled as Python spells them.
const hostFields = Object.keys(readArgs({}))
// Public in every bundle: in the host modules too.
const alwaysPublic = [
  'url', 'room',
  ...Object.keys(initialStatus('r', 'session', null)), ...Object.keys(initialStatus('r', 'session', null).counters),
  'since', 'resume', 'reason', 'at', 'dropped',
  // the bridge, window._wsDebug, the 'error' event
  'ws', 'on', 'send', 'getStatus', 'getMessages', 'reconnect', 'clear', 'close', 'bridges', '__wsBridge', 'kind', 'message',
  // the batch, its events, the ledger record, Python's acknowledgement, the anywidget message
  'v', 'tab', 'baseSeq', 'lastSeq', 'events', 'messages', 'status', 'seq', 'event', 'reset', 'type', 'ack', 'last', 'pending', 'recent', 'batch',
  // what each host passes: Python's options (as Python spells them), Streamlit's v2 call, anywidget's render and model
  ...PYTHON_NAMES,
  'data', 'parentElement', 'setStateValue', 'model', 'el', 'get', 'set', 'save_changes', 'off',
  // what the bridge and reconnecting-websocket read of a socket and its events
  'readyState', 'code', 'reason', 'wasClean', 'target', 'error', 'handleEvent', 'CLOSING', 'CLOSED',
]
// connect()'s options, the Status and its counters, a Reset, …
const publicNames = [...optionNames, ...alwaysPublic]
const builtIns = (): object[] => [
  window, document, document.createElement('div'), new URL('http://h/'), new AbortController(), Promise.prototype,
  Array.prototype, Map.prototype, Set.prototype, Date, JSON, Object, Math, Number, String.prototype, console,
]

describe('INTERNAL_NAMES (property names the bundles shorten)', () => {
  it('holds no public, stored or host name', () => {
    expect(names.filter((name) => publicNames.includes(name))).toEqual([])
  })

  it('holds no name of the DOM or of a built-in', () => {
    const objects = builtIns()
    expect(names.filter((name) => objects.some((object) => name in object))).toEqual([])
  })
})

// The host modules (v2.js, widget.js, the Dash and Gradio scripts) also shorten connect()'s options and
// the fields readArgs makes of Python's: there both objects are built inside the module and never
// leave it, and Python's options come from outside under their snake_case names.
describe('HOST_INTERNAL_NAMES (options the host modules shorten)', () => {
  const hostNames = HOST_INTERNAL_NAMES as string[]

  it('holds options only, none of them another public, stored or host name', () => {
    expect(hostNames.filter((name) => !optionNames.includes(name) && !hostFields.includes(name))).toEqual([])
    expect(hostNames.filter((name) => alwaysPublic.includes(name))).toEqual([])
  })

  it('holds no name of the DOM or of a built-in', () => {
    const objects = builtIns()
    expect(hostNames.filter((name) => objects.some((object) => name in object))).toEqual([])
  })
})

describe("Python's names", () => {
  it('are the ones readArgs reads: each option set under its snake_case name arrives', () => {
    const args = readArgs({
      url: 'ws://h/', room: 'r', fallback_url: 'http://h/e', token_url: 'http://h/t', player: 'p',
      max_messages: 7, throttle_ms: 9, show_status: false, ack_tab: 't', ack: 3,
    })
    expect(args).toEqual({
      url: 'ws://h/', room: 'r', fallbackUrl: 'http://h/e', tokenUrl: 'http://h/t', player: 'p',
      maxMessages: 7, throttleMs: 9, showStatus: false, ackTab: 't', ack: 3,
    })
    expect(Object.keys(args)).toHaveLength(PYTHON_NAMES.length)
  })
})
