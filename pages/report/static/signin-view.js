/* The sign-in screen: the form, the server's refusal said in words (wrong password, another
 * role's account, too many tries, no network), and nothing kept but the session appsignin.js
 * keeps. */

import { SignInRefused } from "../shared/appsignin.js";

export function createSignIn({ t, session, onSignedIn }) {
  const form = document.getElementById("signin");
  const error = document.getElementById("signin-error");
  const submit = document.getElementById("signin-submit");

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    error.hidden = true;
    const username = form.username.value.trim(), password = form.password.value;
    if (!username || !password) { say("signin.missing"); return; }
    submit.disabled = true;
    try {
      const s = await session.signIn(username, password);
      form.password.value = "";
      onSignedIn(s);
    } catch (err) {
      say(err instanceof SignInRefused ? "signin." + err.reason : "signin.server");
    } finally {
      submit.disabled = false;
    }
  });

  function say(key) { error.textContent = t(key); error.hidden = false; }

  return {
    async show() {
      if (!form.username.value) form.username.value = await session.lastUsername();
    },
  };
}
