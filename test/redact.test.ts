import { describe, expect, it } from 'vitest'
import { redactUrl } from '../src/bridge/redact'

describe('redactUrl', () => {
  it('hides every query value', () => {
    expect(redactUrl('wss://h/ws/r/p?token=abc&userEmail=a%40b.c')).toBe('wss://h/ws/r/p?token=***&userEmail=***')
  })

  it('keeps the values it is told to keep', () => {
    expect(redactUrl('ws://h/ws?token=abc&since=e5', ['since'])).toBe('ws://h/ws?token=***&since=e5')
  })

  it('hides user and password', () => {
    expect(redactUrl('ws://me:pw@h/ws')).toBe('ws://***@h/ws')
  })

  it('never echoes a URL it cannot parse', () => {
    expect(redactUrl('not a url token=abc')).toBe('[invalid url]')
  })
})
