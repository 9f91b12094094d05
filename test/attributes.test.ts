import { describe, expect, it } from 'vitest'
import { attributeMessage, optionsFromDataset } from '../src/attributes'
import { resolveOptions } from '../src/bridge/options'

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

  it('names the attribute whose value is not a number', () => {
    expect(() => optionsFromDataset({ url: 'ws://h', room: 'r', maxMessages: 'lots' })).toThrow(
      'attribute data-max-messages must be a number, got "lots"',
    )
  })

  it('names the attribute whose value is not a boolean', () => {
    expect(() => optionsFromDataset({ url: 'ws://h', room: 'r', debug: 'nope' })).toThrow('attribute data-debug must be "true" or "false"')
  })

  it('names an attribute that is no option', () => {
    expect(() => optionsFromDataset({ url: 'ws://h', room: 'r', colour: 'red' })).toThrow('attribute data-colour is not an option')
  })

  it('requires data-room with data-url', () => {
    expect(() => optionsFromDataset({ url: 'ws://h' })).toThrow('data-room is required')
  })

  it('turns an option error into one naming the attribute', () => {
    let message = ''
    try {
      resolveOptions(optionsFromDataset({ url: 'ws://h', room: 'r', fallbackInterval: '0' }))
    } catch (err) {
      message = attributeMessage(err)
    }
    expect(message).toContain('attribute data-fallback-interval must be a number > 0')
  })
})
