import { type ConnectOptions, DEFAULTS } from './bridge/options'

const attribute = (name: string) => 'data-' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())

/** An option error names the data-* attribute the page author wrote, not the option. */
export const attributeMessage = (err: unknown): string =>
  String(err instanceof Error ? err.message : err).replace(/option "(\w+)"/, (_, name: string) => 'attribute ' + attribute(name))

/**
 * Options from a script tag's data-* attributes: data-max-messages="50" is
 * maxMessages: 50, converted by the type of the option's default. An
 * attribute that is no option, or has no valid value, throws naming it.
 */
export function optionsFromDataset(dataset: DOMStringMap): ConnectOptions {
  const options: { [name: string]: unknown } = {}
  for (const name of Object.keys(dataset)) {
    const text = (dataset[name] as string).trim()
    const kind = /^(url|room|fallbackUrl)$/.test(name) ? 'string' : typeof (DEFAULTS as unknown as { [name: string]: unknown })[name]
    const value =
      kind === 'number' ? (text === 'Infinity' ? Infinity : text ? Number(text) : NaN)
      : kind === 'boolean' ? { true: true, false: false }[text]
      : name === 'resumeParam' && text === 'false' ? false
      : kind === 'string' ? text
      : null
    if (value === null) throw new TypeError('[ws-bridge] attribute ' + attribute(name) + ' is not an option')
    if (value === undefined || value !== value) {
      throw new TypeError('[ws-bridge] attribute ' + attribute(name) + ' must be ' + (kind === 'number' ? 'a number' : '"true" or "false"') + ', got "' + text + '"')
    }
    options[name] = value
  }
  if (!options.room) throw new TypeError('[ws-bridge] attribute data-room is required with data-url')
  return options as unknown as ConnectOptions
}
