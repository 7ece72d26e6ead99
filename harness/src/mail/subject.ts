// What a patch mail's subject says: "Re: [PATCH v2 3/7] mm: foo" is a reply
// to patch 3 of 7 of version 2 of a series titled "mm: foo". Pure.

export interface SubjectInfo {
  /** As written, minus "Re:"/"Fwd:" prefixes: "[PATCH v1 1/2] mm/userfaultfd: rely on ...". */
  posted: string;
  /** Without the bracketed tag: "mm/userfaultfd: rely on vma->vm_page_prot in uffd_wp_range()". */
  title: string;
  reply: boolean;
  /** The tag names a patch ([PATCH], [RFC PATCH], [PATCH net-next]...). */
  patch: boolean;
  /** vN, 1 when the tag has none. */
  version: number;
  /** M and K of "M/K"; null for a single patch. 0 is a cover letter. */
  index: number | null;
  total: number | null;
  /** "fixup:", "fixup!", "squash!", "amend!": a correction meant to be folded into an earlier patch. */
  fixup: boolean;
  /** The title of the patch a fixup names ("fixup: mm/foo: bar" -> "mm/foo: bar"). */
  fixes: string | null;
}

const REPLY = /^\s*(?:re|fwd?|aw|sv|antw)\s*(?:\[\d+\])?\s*:\s*/i;
const FIXUP = /^(?:fixup[:!]|squash!|amend!)\s*/i;

export function parseSubject(raw: string): SubjectInfo {
  let s = raw.replace(/\s+/g, ' ').trim();
  let reply = false;
  while (REPLY.test(s)) {
    s = s.replace(REPLY, '');
    reply = true;
  }
  const posted = s;
  let tag = '';
  const m = /^\[([^\]]*)\]\s*/.exec(s);
  if (m) {
    tag = m[1] ?? '';
    s = s.slice(m[0].length);
  }
  const patch = /\bPATCH\b/i.test(tag);
  const version = Number(/\bv(\d+)\b/i.exec(tag)?.[1] ?? 1);
  const nm = /\b(\d+)\s*\/\s*(\d+)\b/.exec(tag);
  const fixup = FIXUP.test(s);
  return {
    posted,
    title: s,
    reply,
    patch,
    version,
    index: nm ? Number(nm[1]) : null,
    total: nm ? Number(nm[2]) : null,
    fixup,
    fixes: fixup ? s.replace(FIXUP, '').trim() || null : null,
  };
}
