// @ts-check
/* global document */
/**
 * DOM building without an HTML parser: every piece of data (stream names, messages, URLs) goes in
 * through textContent or setAttribute, so a camera called `<img src=x onerror=…>` stays text.
 * Nothing in the dashboard uses innerHTML, insertAdjacentHTML or outerHTML.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * @typedef {string | number | boolean | null | undefined} AttrValue
 * @typedef {Record<string, AttrValue>} Attrs
 * @typedef {Node | string | number | null | undefined | false} Child
 */

/**
 * An HTML element. Attribute values: true → present and empty, false/null/undefined → absent.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {Child[]} [children]
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/**
 * An SVG element (charts).
 * @param {string} tag
 * @param {Attrs} [attrs]
 * @param {Child[]} [children]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, children = []) {
  const node = /** @type {SVGElement} */ (document.createElementNS(SVG_NS, tag));
  setAttrs(node, attrs);
  append(node, children);
  return node;
}

/**
 * @param {Element} node
 * @param {Attrs} attrs
 */
export function setAttrs(node, attrs) {
  for (const [name, value] of Object.entries(attrs)) {
    // Event handler attributes would be code; they are never set from here (CSP forbids them too).
    if (/^on/i.test(name)) throw new Error(`refusing to set event attribute ${name}`);
    if (value === false || value === null || value === undefined) node.removeAttribute(name);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
}

/**
 * @param {Node} node
 * @param {Child[]} children
 */
export function append(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/**
 * Sets text only when it differs: the 5-second refresh patches the page without churning the DOM
 * (and without disturbing a selection or a screen reader's position).
 * @param {Node} node
 * @param {string} text
 */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

/**
 * Replaces a class from a family (e.g. state-online → state-offline).
 * @param {Element} node
 * @param {string} prefix
 * @param {string} value
 */
export function setClassFamily(node, prefix, value) {
  const wanted = `${prefix}${value}`;
  if (node.classList.contains(wanted)) return;
  for (const name of [...node.classList]) if (name.startsWith(prefix)) node.classList.remove(name);
  node.classList.add(wanted);
}

/**
 * Looks an element up by id and fails loudly when the page markup lacks it.
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new (...args: never[]) => T} type
 * @returns {T}
 */
export function byId(id, type) {
  const node = document.getElementById(id);
  if (!(node instanceof type)) throw new Error(`dashboard markup: #${id} is missing`);
  return node;
}
