// The left column (pad, verdict, Explain, Where from, inspector) scrolls as one from 900 px. On a
// short screen (1366x768) the inspector or an opened Explain panel starts near the column's
// bottom edge: a pin or an opening scrolls that part up, and a release scrolls back.

const ENOUGH = 320; // px of a part that are enough to read it

/**
 * Where to scroll the column so that a part of it can be read, or null when enough of it shows.
 * view: {top, height} the column's scrollTop and clientHeight; part: {top, height} the part's
 * box in the column's content coordinates (px). Enough shows when the part's top is in view and
 * at least min(its height, 40% of the view, 320 px) of it is visible: at 1366x768 the inspector
 * shows 110 px under the pad and comes up; at 1920x1080 it shows 380 px and the pad stays.
 */
export function revealScroll(view, part, margin = 8) {
  const bottom = view.top + view.height;
  const shown = Math.min(part.top + part.height, bottom) - part.top;
  if (part.top >= view.top && shown >= Math.min(part.height, 0.4 * view.height, ENOUGH)) return null;
  return Math.max(0, part.top - margin);
}

export class SideColumn {
  /** col: the .side-col element (display: contents on a phone, where the page scrolls). */
  constructor(col) {
    this.col = col;
    this.from = null; // scrollTop before a reveal, restored on release
    // a part revealed before the column was long enough to bring it up (a link's pin, before the
    // prediction fills the inspector) comes up when the column grows, unless the person scrolls
    this.pending = null;
    if (!col) return;
    const grown = new ResizeObserver(() => {
      const part = this.pending;
      this.pending = null;
      if (part) this.reveal(part);
    });
    for (const child of col.children) grown.observe(child);
    for (const type of ["wheel", "touchstart", "keydown"]) {
      col.addEventListener(type, () => { this.pending = null; }, { passive: true });
    }
  }

  get scrolls() {
    return !!this.col && getComputedStyle(this.col).display !== "contents";
  }

  /** Bring `part` (an element in the column) up if it lies mostly below the fold. */
  reveal(part) {
    // a drawer (Explain from 1600 px) lies over the page, not in the column
    if (!part || !this.scrolls || getComputedStyle(part).position === "fixed") return;
    const c = this.col.getBoundingClientRect();
    const p = part.getBoundingClientRect();
    const view = { top: this.col.scrollTop, height: this.col.clientHeight };
    const to = revealScroll(view, { top: p.top - c.top + view.top, height: p.height });
    this.pending = null;
    if (to === null) return;
    this.from ??= view.top;
    this.col.scrollTo({ top: to, behavior: smooth() });
    if (to > this.col.scrollHeight - this.col.clientHeight + 1) this.pending = part;
  }

  /** Scroll back to where the column was before the last reveal (the pad, usually). */
  restore() {
    this.pending = null;
    if (this.from === null || !this.scrolls) return;
    this.col.scrollTo({ top: this.from, behavior: smooth() });
    this.from = null;
  }
}

const smooth = () => (matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth");
