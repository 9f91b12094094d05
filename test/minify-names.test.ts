// @vitest-environment jsdom
// The bundles shorten the property names listed in rollup.config.mjs
// (INTERNAL_NAMES). A name there that anything outside a bundle reads or writes
// would break it silently: none may be public API, stored, sent to Python or
// part of the DOM or a host's API.
import { describe, expect, it } from 'vitest'
import { HOST_INTERNAL_NAMES, INTERNAL_NAMES } from '../rollup.config.mjs'
import { DEFAULTS } from '../src/bridge/options'
import { initialStatus } from '../src/bridge/status'
import { readOptions } from '../src/delivery/batch'
import { readArgs } from '../src/streamlit/protocol'

const names = INTERNAL_NAMES as string[]

const optionNames = [...Object.keys(DEFAULTS), 'url', 'room']
// Public in every bundle: in the host modules too.
const alwaysPublic = [
  'url', 'room',
  ...Object.keys(initialStatus('r', 'session', null)), ...Object.keys(initialStatus('r', 'session', null).counters),
  'since', 'resume', 'reason', 'at', 'dropped',
  // the bridge, window._wsDebug, the 'error' event
  'ws', 'on', 'send', 'getStatus', 'getMessages', 'reconnect', 'clear', 'close', 'bridges', '__wsBridge', 'kind', 'message',
  // the batch, its events, the ledger record, Python's acknowledgement, the anywidget message
  'v', 'tab', 'baseSeq', 'lastSeq', 'events', 'messages', 'status', 'seq', 'event', 'reset', 'type', 'ack', 'last', 'pending', 'recent', 'batch',
  // what each host passes: Python's options, Streamlit's v2 call, anywidget's render and model
  ...Object.keys(readOptions({})), ...Object.keys(readArgs({})),
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

// The host modules (v2.js, widget.js, the Dash and Gradio scripts) also shorten connect()'s options: there the options
// object is built inside the module and never leaves it, and only Python's few options
// (readOptions) come from outside, under their snake_case names.
describe('HOST_INTERNAL_NAMES (options the host modules shorten)', () => {
  const hostNames = HOST_INTERNAL_NAMES as string[]

  it('holds options only, none of them another public, stored or host name', () => {
    expect(hostNames.filter((name) => !optionNames.includes(name))).toEqual([])
    expect(hostNames.filter((name) => alwaysPublic.includes(name))).toEqual([])
  })

  it('holds no name of the DOM or of a built-in', () => {
    const objects = builtIns()
    expect(hostNames.filter((name) => objects.some((object) => name in object))).toEqual([])
  })
})
