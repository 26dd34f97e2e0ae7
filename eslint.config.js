// eslint (flat config) over the pages' own modules and their unit tests; the vendored libraries
// are others' code. Run by scripts/js-check.sh (`make test`, `make js`).
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["**/vendor/**", "node_modules/**", ".venv/**", ".uv/**", "mutants/**", "build/**"] },
  js.configs.recommended,
  {
    files: ["pages/**/*.js"],  // every page's modules (the phone apps' to come too)
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "module",
      // The vendored libraries (Leaflet's L, socket.io's io, Chart) are declared by the modules
      // that use them, with a /* global */ comment: nothing else may reach them.
      globals: { ...globals.browser },
    },
  },
  {
    // The phone apps' service worker and what it imports run in a worker's global scope.
    files: ["pages/static/shared/sw*.js"],
    languageOptions: { globals: { ...globals.serviceworker } },
  },
  {
    files: ["tests/js/**/*.mjs", "eslint.config.js"],
    languageOptions: { ecmaVersion: 2022, sourceType: "module", globals: { ...globals.node } },
  },
  {
    rules: {
      "no-unused-vars": ["error", { args: "after-used", caughtErrors: "none" }],
      "no-implicit-globals": "error",
      "no-var": "error",
      "prefer-const": "error",
      eqeqeq: ["error", "always"],
      "no-eval": "error",
      "no-implied-eval": "error",
      "no-new-func": "error",
    },
  },
];
