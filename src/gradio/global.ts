// Entry of ws_bridge_gradio/static/bridge.js: the script Python puts at the head of the
// component's js_on_load, guarded so that it runs once per page (every mount then calls the
// global it leaves). A script, not a module: js_on_load is a function body, not an import.
import { GLOBAL_NAME, mount } from './bridge'

;(window as unknown as Record<string, typeof mount>)[GLOBAL_NAME] = mount
