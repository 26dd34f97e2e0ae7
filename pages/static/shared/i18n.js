/* The apps' own sentences in two languages: Chinese by default, English when chosen (the choice
 * is kept per app on the phone). Names of categories, statuses and milestones are not here:
 * they come from the label catalogue (labels.js), one word per thing on every page. Pure
 * (tests/js/i18n.test.mjs). */

export const LANGUAGES = ["zh-CN", "en"];
export const DEFAULT_LANG = "zh-CN";

/** The language to use: the phone's stored choice if it is one we speak, else Chinese. */
export function pickLang(stored) {
  return LANGUAGES.includes(stored) ? stored : DEFAULT_LANG;
}

/** `t(key, vars)` over `messages` ({lang: {key: text}}): `{name}` in the text is replaced by
 * `vars.name`; a key missing in `lang` falls back to Chinese, then to the key itself (so a
 * missing sentence shows, and a test finds it). */
export function translator(messages, lang) {
  const mine = messages[lang] || {}, base = messages[DEFAULT_LANG] || {};
  return function t(key, vars) {
    let text = Object.hasOwn(mine, key) ? mine[key] : Object.hasOwn(base, key) ? base[key] : key;
    if (vars) {
      text = text.replace(/\{(\w+)\}/g, (whole, name) => (Object.hasOwn(vars, name) ? String(vars[name]) : whole));
    }
    return text;
  };
}

/** Keys a language lacks against Chinese: what a test says must be empty. */
export function missingKeys(messages, lang) {
  return Object.keys(messages[DEFAULT_LANG] || {}).filter((k) => !Object.hasOwn(messages[lang] || {}, k));
}

/** Fills every `[data-t]` element's text (and `[data-t-placeholder]`, `[data-t-aria]`) of
 * `root` in the chosen language. */
export function translatePage(root, t) {
  for (const e of root.querySelectorAll("[data-t]")) e.textContent = t(e.dataset.t);
  for (const e of root.querySelectorAll("[data-t-placeholder]")) e.placeholder = t(e.dataset.tPlaceholder);
  for (const e of root.querySelectorAll("[data-t-aria]")) e.setAttribute("aria-label", t(e.dataset.tAria));
}
