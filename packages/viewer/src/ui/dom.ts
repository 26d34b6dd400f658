/**
 * @module viewer/ui/dom
 * The only way the front end builds DOM: strings become text nodes (`textContent`), never HTML,
 * so whatever telemetry carries (`<script>`, `<img onerror>`) is shown, not run. Links must be
 * same-origin paths, so a `javascript:` URL cannot be smuggled in through data either.
 */

export type Child = Node | string | number | null | undefined | false

export interface Props {
  class?: string
  href?: string
  title?: string
  id?: string
  name?: string
  value?: string
  type?: string
  placeholder?: string
  for?: string
  colspan?: string
  data?: Record<string, string>
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void }
}

/**
 * Creates an element with safe attributes and text children.
 * @example h('a', { href: `/traces/${id}` }, name)
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag)
  if (props.class !== undefined) element.className = props.class
  if (props.href?.startsWith('/') && !props.href.startsWith('//')) {
    element.setAttribute('href', props.href)
  }
  for (const name of ['title', 'id', 'name', 'value', 'type', 'placeholder', 'for', 'colspan'] as const) {
    const value = props[name]
    if (value !== undefined) element.setAttribute(name, value)
  }
  if (props.value !== undefined && 'value' in element) (element as HTMLInputElement).value = props.value
  for (const [key, value] of Object.entries(props.data ?? {})) element.dataset[key] = value
  for (const [event, listener] of Object.entries(props.on ?? {})) {
    element.addEventListener(event, listener as EventListener)
  }
  append(element, children)
  return element
}

/** Appends children, strings as text nodes. */
export function append(parent: Node, children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? text(String(child)) : child)
  }
}

export function text(value: string): Text {
  const node = document.createTextNode('')
  node.textContent = value
  return node
}

/** Replaces everything inside `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren()
  append(parent, children)
}

/** A same-origin path with query parameters, empty ones left out. */
export function link(path: string, params: Record<string, string | undefined> = {}): string {
  const query = new URLSearchParams()
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') query.set(key, value)
  const search = query.toString()
  return search === '' ? path : `${path}?${search}`
}

/** A small select whose current value is `selected`. */
export function select(
  name: string,
  options: readonly (readonly [string, string])[],
  selected: string,
): HTMLSelectElement {
  const element = h('select', { name })
  for (const [value, label] of options) {
    const option = h('option', { value }, label)
    if (value === selected) option.selected = true
    element.appendChild(option)
  }
  return element
}
