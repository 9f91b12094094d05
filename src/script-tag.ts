// Entry of dist/ws-bridge.min.js: defines the global WsBridge and, when the
// tag carries data-url, starts a bridge from its data-* attributes.
import { attributeMessage, optionsFromDataset } from './attributes'
import { DEFAULTS, type Bridge, connect, memoryStorage, redactUrl } from './index'

const WsBridge = { connect, memoryStorage, redactUrl, DEFAULTS, bridge: null as Bridge | null }
;(window as unknown as { WsBridge: typeof WsBridge }).WsBridge = WsBridge

const script = document.currentScript as HTMLScriptElement | null
if (script && script.dataset.url !== undefined) {
  try {
    WsBridge.bridge = connect(optionsFromDataset(script.dataset))
  } catch (err) {
    console.error(attributeMessage(err))
  }
}
