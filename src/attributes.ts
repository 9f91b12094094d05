import { type ConnectOptions, DEFAULTS } from './bridge/options'
import { errorText } from './warn'

/** An option error names the data-* attribute the page author wrote, not the option. */
export const attributeMessage = (err: unknown): string =>
  errorText(err).replace(
    /option "(\w+)"/,
    (_, name: string) => 'attribute data-' + name.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase()),
  )

/**
 * Options from a script tag's data-* attributes: data-max-messages="50" is
 * maxMessages: 50. Text becomes a number or a boolean where the option's
 * default is one; anything else stays text, for connect() to judge.
 */
export function optionsFromDataset(dataset: DOMStringMap): ConnectOptions {
  const options: { [name: string]: unknown } = {}
  for (const name of Object.keys(dataset)) {
    const text = (dataset[name] as string).trim()
    const type = typeof (DEFAULTS as unknown as { [name: string]: unknown })[name]
    options[name] =
      text === 'false' && name === 'resumeParam' ? false
      : type === 'number' && text && !isNaN(+text) ? +text
      : type === 'boolean' && /^(true|false)$/.test(text) ? text === 'true'
      : text
  }
  return options as unknown as ConnectOptions
}
