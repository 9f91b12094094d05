import { describe, expect, it } from 'vitest'
import { attributeMessage, optionsFromDataset } from '../src/attributes'
import { resolveOptions } from '../src/bridge/options'

/** What the script tag does: attributes → options → checked, errors naming the attribute. */
function fromAttributes(dataset: DOMStringMap): string {
  try {
    resolveOptions(optionsFromDataset(dataset))
    return 'ok'
  } catch (err) {
    return attributeMessage(err)
  }
}

describe('optionsFromDataset', () => {
  it('converts data-* attributes by the type of their default', () => {
    const options = optionsFromDataset({
      url: 'wss://host/ws/ROOM/PLAYER',
      room: 'ROOM',
      fallbackUrl: 'https://host/rooms/ROOM/events',
      fallbackInterval: '5000',
      maxRetries: 'Infinity',
      debug: 'false',
      resumeParam: 'false',
    })
    expect(options).toEqual({
      url: 'wss://host/ws/ROOM/PLAYER',
      room: 'ROOM',
      fallbackUrl: 'https://host/rooms/ROOM/events',
      fallbackInterval: 5000,
      maxRetries: Infinity,
      debug: false,
      resumeParam: false,
    })
  })

  it('accepts a valid set of attributes', () => {
    expect(fromAttributes({ url: 'ws://h', room: 'r', maxMessages: '50', lifecycle: 'true' })).toBe('ok')
  })

  it('names the attribute whose value is not a number', () => {
    expect(fromAttributes({ url: 'ws://h', room: 'r', maxMessages: 'lots' })).toBe(
      '[ws-bridge] attribute data-max-messages must be a number > 0, got "lots"',
    )
  })

  it('names the attribute whose value is out of range', () => {
    expect(fromAttributes({ url: 'ws://h', room: 'r', fallbackInterval: '0' })).toContain('attribute data-fallback-interval must be a number > 0, got 0')
  })

  it('names the attribute whose value is not a boolean', () => {
    expect(fromAttributes({ url: 'ws://h', room: 'r', debug: 'nope' })).toBe('[ws-bridge] attribute data-debug must be a boolean, got "nope"')
  })

  it('names an attribute that is no option', () => {
    expect(fromAttributes({ url: 'ws://h', room: 'r', colour: 'red' })).toBe('[ws-bridge] attribute data-colour does not exist')
  })

  it('names data-room when it is missing', () => {
    expect(fromAttributes({ url: 'ws://h' })).toContain('attribute data-room must be a non-empty string')
  })
})
