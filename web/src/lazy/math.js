/*! Includes KaTeX (MIT License; Copyright (c) 2013-2020 Khan Academy and other contributors) */
// Loaded by the page only when a message contains math between the configured delimiters.
import katex from "katex";

/** Typesets `tex` into `el`; a TeX error shows the source in the error colour instead of throwing. */
export function typeset(el, tex, display) {
  katex.render(tex, el, { displayMode: display, throwOnError: false, strict: false, trust: false, output: "htmlAndMathml" });
}
