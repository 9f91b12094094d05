// The three designs under test, behind one interface, so the harness around
// them is identical:
//   raw    WebSocket + onmessage + JSON.parse: no persistence (the limit)
//   naive  a hand-written bridge: on every message, read the 100-message array from
//          sessionStorage, skip a known id, append, trim, write it all back
//   bridge dist/ws-bridge.min.js with its defaults: dedup, log, sessionStorage
//          writes gathered per flushDelay (50 ms)
// A message counts as ingested once it reached the listener AND is in
// sessionStorage (raw: once it reached the listener).
//
// The page runs one plan, picked by the query string, with no driver attached,
// and POSTs the result to /report?run=<id>:
//   ?variant=raw,bridge,naive&auto=ingest&n=N&nNaive=M&rounds=R&rest=MS   floods, designs taking turns
//   ?variant=raw,bridge&auto=echo&k=K&warm=W           K round trips per design, alternating designs
//   ?variant=bridge&auto=memory&total=T&steps=S        the memory walk (bench/memory.mjs)
;(function () {
  'use strict'
  var params = new URLSearchParams(location.search)
  var ROOM = 'bench'
  var KEY = 'ws_messages_' + ROOM
  var NAIVE_KEY = 'ws_messages_naive' // the naive design's own key, so both can share a page
  var url = 'ws://' + location.host + '/ws'
  var onPersist = null // bridge only: called after each write of KEY
  var theBridge = null

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var s = document.createElement('script')
      s.src = src
      s.onload = resolve
      s.onerror = function () { reject(new Error('could not load ' + src)) }
      document.head.appendChild(s)
    })
  }

  /** One design: { kind, send(text), delivered, handler } — handler(message) runs after each delivery. */
  function channel(kind) {
    var ch = { kind: kind, delivered: 0, handler: null, send: null }
    function deliver(message) {
      ch.delivered++
      if (ch.handler) ch.handler(message)
    }
    function openSocket(onmessage) {
      return new Promise(function (resolve, reject) {
        var ws = new WebSocket(url)
        ws.onmessage = onmessage
        ws.onopen = function () {
          ch.send = function (text) { ws.send(text) }
          resolve(ch)
        }
        ws.onerror = function () { reject(new Error(kind + ': WebSocket failed')) }
      })
    }
    if (kind === 'raw') {
      return openSocket(function (event) {
        deliver(JSON.parse(event.data))
      })
    }
    if (kind === 'naive') {
      return openSocket(function (event) {
        var message = JSON.parse(event.data)
        var list = JSON.parse(sessionStorage.getItem(NAIVE_KEY) || '[]')
        for (var i = 0; i < list.length; i++) if (list[i].id === message.id) return
        list.push(message)
        if (list.length > 100) list.splice(0, list.length - 100)
        sessionStorage.setItem(NAIVE_KEY, JSON.stringify(list))
        deliver(message)
      })
    }
    if (kind === 'bridge') {
      // Observe (not change) the writes: a flood ends at the first write of KEY after its last delivery.
      var setItem = Storage.prototype.setItem
      Storage.prototype.setItem = function (key, value) {
        setItem.call(this, key, value)
        if (key === KEY && onPersist) onPersist()
      }
      return loadScript('/dist/ws-bridge.min.js').then(function () {
        var bridge = (theBridge = window.WsBridge.connect({ url: url, room: ROOM }))
        bridge.on('message', deliver)
        ch.send = function (text) { bridge.send(text) }
        return new Promise(function (resolve, reject) {
          if (bridge.getStatus().state === 'connected') return resolve(ch)
          var off = bridge.on('status', function (status) {
            if (status.state === 'connected') { off(); resolve(ch) }
            if (status.state === 'error') { off(); reject(new Error(status.lastError)) }
          })
        })
      })
    }
    return Promise.reject(new Error('unknown variant ' + kind))
  }

  function stored(key) {
    return JSON.parse(sessionStorage.getItem(key) || '[]')
  }

  function storageChars() {
    var chars = 0
    for (var i = 0; i < sessionStorage.length; i++) {
      var key = sessionStorage.key(i)
      chars += key.length + sessionStorage.getItem(key).length
    }
    return chars
  }

  var pause = function (ms) { return new Promise(function (r) { setTimeout(r, ms) }) }

  /**
   * Asks for `n` frames (`request` names them: "go:<n>:<prefix>" or "chunk:<from>:<n>") and resolves
   * once all are delivered and, for the bridge, written to sessionStorage after the last one.
   */
  function flood(ch, n, request) {
    return new Promise(function (resolve) {
      var target = ch.delivered + n
      var t0, deliveredAt = null
      function done(t1) {
        ch.handler = null
        onPersist = null
        resolve({ ms: t1 - t0, deliveredMs: deliveredAt - t0 })
      }
      ch.handler = function () {
        if (ch.delivered < target) return
        deliveredAt = performance.now()
        // raw and naive are done here: naive wrote storage synchronously before delivering.
        if (ch.kind !== 'bridge') done(deliveredAt)
      }
      onPersist = function () {
        if (deliveredAt !== null) done(performance.now())
      }
      t0 = performance.now()
      ch.send(request)
    })
  }

  var echoSeq = 0
  /** One echo round trip on `ch`, in ms, measured at delivery to its listener. */
  function roundTrip(ch) {
    return new Promise(function (resolve) {
      var t0
      ch.handler = function (message) {
        if (message.type !== 'echo') return
        ch.handler = null
        resolve(performance.now() - t0)
      }
      t0 = performance.now()
      ch.send('{"type":"echo","seq":' + echoSeq++ + '}')
    })
  }

  var plans = {
    /**
     * rounds × one flood per design, the designs' order rotating each round, `rest` ms (1 s)
     * before each flood. Floods are n frames (the naive design: nNaive, as its rate does not
     * depend on the count and it is slow). Each design first takes a warm-up flood of a tenth.
     */
    ingest: function (chs) {
      var rounds = Number(params.get('rounds'))
      var sizes = { raw: Number(params.get('n')), bridge: Number(params.get('n')), naive: Number(params.get('nNaive')) }
      var rest = Number(params.get('rest') || 1000)
      var results = []
      var prefix = 0
      function one(ch, n) {
        return pause(rest)
          .then(function () { return flood(ch, n, 'go:' + n + ':p' + ++prefix + '-') })
          .then(function (result) {
            var list = ch.kind === 'raw' ? null : stored(ch.kind === 'naive' ? NAIVE_KEY : KEY)
            result.kind = ch.kind
            result.n = n
            result.rate = (n / result.ms) * 1000
            result.storedOk = !list || (list.length === 100 && list[99].id === 'p' + prefix + '-' + (n - 1))
            return result
          })
      }
      var chain = chs.reduce(function (c, ch) {
        return c.then(function () { return one(ch, Math.ceil(sizes[ch.kind] / 10)) })
      }, Promise.resolve())
      for (var r = 0; r < rounds; r++) {
        ;(function (r) {
          var order = chs.map(function (_, i) { return chs[(i + r) % chs.length] })
          order.forEach(function (ch) {
            chain = chain.then(function () { return one(ch, sizes[ch.kind]) }).then(function (result) {
              result.round = r
              results.push(result)
            })
          })
        })(r)
      }
      return chain.then(function () {
        return { rounds: results, counters: theBridge ? theBridge.getStatus().counters : null }
      })
    },

    /** warm round trips per design, then k per design; the designs alternate, their order flipping each time. */
    echo: function (chs) {
      var k = Number(params.get('k'))
      var warm = Number(params.get('warm'))
      var samples = {}
      chs.forEach(function (ch) { samples[ch.kind] = [] })
      var i = 0
      function step() {
        if (i >= warm + k) return Promise.resolve(samples)
        var order = i % 2 ? chs.slice().reverse() : chs
        var chain = Promise.resolve()
        order.forEach(function (ch) {
          chain = chain.then(function () { return roundTrip(ch) }).then(function (ms) {
            if (i >= warm) samples[ch.kind].push(ms)
          })
        })
        return chain.then(function () { i++; return step() })
      }
      return pause(1000).then(step)
    },

    // Walks total frames in steps; after each: gc twice (--js-flags=--expose-gc), then the
    // JS heap (--enable-precise-memory-info) and the characters in sessionStorage.
    memory: function (chs) {
      var ch = chs[0]
      var total = Number(params.get('total'))
      var step = Math.ceil(total / Number(params.get('steps')))
      var offset = Number(params.get('offset') || 0) // first frame number (ids m<offset>…)
      var samples = []
      var started = performance.now()
      function next(from) {
        if (from >= total) {
          return { samples: samples, counters: theBridge.getStatus().counters, kept: theBridge.getMessages().length }
        }
        var n = Math.min(step, total - from)
        return flood(ch, n, 'chunk:' + (offset + from) + ':' + n).then(function () {
          window.gc()
          window.gc()
          samples.push({ messages: ch.delivered, heapUsed: performance.memory.usedJSHeapSize, storedChars: storageChars(), ms: performance.now() - started })
          return next(from + step)
        })
      }
      return next(0)
    },
  }

  var kinds = (params.get('variant') || 'raw').split(',')
  var auto = params.get('auto')
  var ready = kinds.reduce(function (chain, kind) {
    return chain.then(function (list) {
      return channel(kind).then(function (ch) { return list.concat([ch]) })
    })
  }, Promise.resolve([]))
  ready
    .then(function (chs) { return plans[auto](chs) })
    .then(function (result) { return { ok: true, result: result } }, function (err) { return { ok: false, error: String((err && err.stack) || err) } })
    .then(function (report) {
      return fetch('/report?run=' + encodeURIComponent(params.get('run')), { method: 'POST', body: JSON.stringify(report) })
    })
})()
