/* The page's sounds: a beep for an overdue deadline, a two-note chime for a new report (told
 * apart by ear), a switch that turns both off or on and is remembered by the browser
 * (localStorage), and a visible note while the browser holds sound back until the first click
 * (autoplay policy): the note goes when a click lets the sound play. */

const REMEMBERED = "command.sound";

export function createSound({ t, counts, switchBox, note }) {
  let audio = null;
  let on = localStorage.getItem(REMEMBERED) !== "off";

  function context() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
    } catch {
      audio = null;  // no audio device: the visible alerts stay
    }
    return audio;
  }

  function showBlocked() {
    const blocked = on && audio !== null && audio.state === "suspended";
    note.hidden = !blocked;
    note.textContent = blocked ? t("sound.blocked") : "";
  }

  function tone(ctx, type, freq, start, length, volume) {
    const osc = ctx.createOscillator(), gain = ctx.createGain();
    osc.type = type;
    osc.frequency.value = freq;
    gain.gain.value = volume;
    osc.connect(gain);
    gain.connect(ctx.destination);
    osc.start(ctx.currentTime + start);
    osc.stop(ctx.currentTime + start + length);
  }

  function play(kind) {
    if (!on) return false;
    const ctx = context();
    if (!ctx) return false;
    if (kind === "overdue") tone(ctx, "square", 880, 0, 0.35, 0.08);
    else { tone(ctx, "sine", 660, 0, 0.18, 0.2); tone(ctx, "sine", 990, 0.2, 0.3, 0.2); }
    counts[kind === "overdue" ? "beeps" : "chimes"] += 1;
    showBlocked();
    return true;
  }

  function draw() {
    switchBox.checked = on;
    showBlocked();
  }

  switchBox.addEventListener("change", () => {
    on = switchBox.checked;
    localStorage.setItem(REMEMBERED, on ? "on" : "off");
    if (on) context();
    draw();
  });
  // The first click lets the browser play: resume, and the note goes.
  const unlock = () => {
    const ctx = on ? context() : audio;
    if (ctx && ctx.state === "suspended") ctx.resume().then(showBlocked, showBlocked);
  };
  document.addEventListener("pointerdown", unlock, true);
  document.addEventListener("keydown", unlock, true);
  // Learn at once whether the browser blocks sound, so the note is there before any alert.
  if (on) context();
  draw();
  if (audio) audio.onstatechange = showBlocked;

  return { play, get on() { return on; }, blocked: () => audio !== null && audio.state === "suspended" };
}
