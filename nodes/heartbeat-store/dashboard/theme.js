// @ts-check
/* global document, window, localStorage */
/**
 * Dark and light. Without a choice the page follows the system (prefers-color-scheme, in
 * style.css); the toggle records an explicit choice as data-theme on <html> and in localStorage.
 */

const KEY = 'streampulse.theme';

/** @returns {'dark' | 'light' | null} */
function stored() {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'dark' || value === 'light' ? value : null;
  } catch {
    // Storage can be off (privacy settings, some embedded views): the toggle still works per visit.
    return null;
  }
}

/** @param {'dark' | 'light'} value */
function store(value) {
  try {
    localStorage.setItem(KEY, value);
  } catch {
    // See stored().
  }
}

/**
 * Wires the toggle button (aria-pressed = dark).
 * @param {HTMLButtonElement} button
 */
export function initTheme(button) {
  const system = window.matchMedia('(prefers-color-scheme: dark)');
  const root = document.documentElement;
  const current = () => {
    const chosen = root.dataset.theme;
    if (chosen === 'dark' || chosen === 'light') return chosen;
    return system.matches ? 'dark' : 'light';
  };
  const show = () => {
    button.setAttribute('aria-pressed', String(current() === 'dark'));
  };
  const choice = stored();
  if (choice) root.dataset.theme = choice;
  show();
  button.addEventListener('click', () => {
    const next = current() === 'dark' ? 'light' : 'dark';
    root.dataset.theme = next;
    store(next);
    show();
  });
  system.addEventListener('change', show);
}
