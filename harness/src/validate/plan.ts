// The matrix a patch mail gets, as a config a person could have written:
// the default set's kernels (or those asked for), base plus one variant per
// way the patch can be taken (as posted; as posted plus its fixups), the
// suites its files call for, and only the expectations already known about
// the base kernels (nothing about the new patch: that is what the run finds
// out). Pure: the caller writes the files.
import type { Expectation, KernelEntry, MatrixConfig } from '../plan/config.ts';
import { canonicalArchName } from '../arch/profile.ts';
import { inRange } from '../util/version-range.ts';
import { UserError } from '../errors.ts';
import type { Intake } from '../mail/intake.ts';
import type { MailPatch } from '../mail/extract.ts';
import type { MappedSuite } from './suites.ts';

export interface VariantPlan {
  name: string;
  /** "as posted", "as posted + fixup", for tables and the reply. */
  label: string;
  description: string;
  patches: MailPatch[];
}

/** git format-patch's file name stem: "mm-userfaultfd-rely-on-vma-vm_page_prot-in-uffd_wp_range". */
export function slug(title: string, max = 64): string {
  const s = title.replace(/[^A-Za-z0-9_.]+/g, '-').replace(/\.+/g, '.').replace(/^[-.]+|[-.]+$/g, '');
  return (s.slice(0, max).replace(/[-.]+$/, '') || 'patch');
}

/** The series as posted, and (when the thread has fixups) as posted with each fixup after the patch it corrects. */
export function variantsOf(intake: Intake): VariantPlan[] {
  const tagged = intake.series.some((p) => /\bv\d+\b/i.test(/^\[([^\]]*)\]/.exec(p.subject.posted)?.[1] ?? ''));
  const name = tagged ? `v${intake.version}` : 'patch';
  const count = `${intake.series.length} patch${intake.series.length === 1 ? '' : 'es'}`;
  const out: VariantPlan[] = [{ name, label: 'as posted', description: `"${intake.thread.subject}" as posted (${count})`, patches: [...intake.series] }];
  if (intake.fixups.length > 0) {
    const withFixups = intake.series.flatMap((p, i) => [p, ...intake.fixups.filter((f) => f.fixes === i).map((f) => f.patch)]);
    const titles = intake.fixups.map((f) => `"${f.patch.subject.title}"`).join(', ');
    out.push({ name: `${name}-fixup`, label: `as posted + fixup${intake.fixups.length > 1 ? 's' : ''}`, description: `as posted, plus the thread's ${titles}`, patches: withFixups });
  }
  return out;
}

/** A patch file as the patch stage reads it: mail headers, the commit message, then the diff exactly as posted. */
export function patchFileText(p: MailPatch): string {
  const headers = [
    p.from && `From: ${p.from}`,
    p.date && `Date: ${p.date}`,
    `Subject: ${p.subject.posted || '(no subject)'}`,
    p.messageId && `Message-ID: ${p.messageId}`,
    `X-Kvmatrix-Source: ${p.source}${p.origin === 'message' ? '' : ` (${p.origin})`}`,
  ].filter(Boolean);
  return `${headers.join('\n')}\n\n${p.description ? `${p.description}\n` : ''}---\n${p.diff}`;
}

/** The kernel's X.Y from what the config says (Debian's linux-source-X.Y, a pinned version), when it says. */
function versionHint(k: KernelEntry): string | null {
  const s = k.source as { provider: string; package?: string; version?: string };
  if (s.version && /^\d+\.\d+/.test(s.version)) return s.version;
  return /linux-source-(\d+\.\d+)/.exec(s.package ?? '')?.[1] ?? null;
}

/**
 * What the default set already knows about base kernels (the bug on 6.1, no
 * soft-dirty on arm64), narrowed to base and to the kernels, arches and
 * suites of this run so nothing known goes unused. Nothing about any variant.
 */
export function knownExpectations(defaults: readonly Expectation[], kernels: readonly KernelEntry[], arches: readonly string[], suites: readonly string[]): Expectation[] {
  return defaults.flatMap((e): Expectation[] => {
    if (!e.cases) return []; // cell states are about variants
    if (e.variants && !e.variants.includes('base')) return [];
    if (e.kernels && !e.kernels.some((k) => kernels.some((x) => x.id === k))) return [];
    if (e.arches && !e.arches.some((a) => arches.includes(a))) return [];
    if (!e.cases.some((c) => { const s = c.split('/')[0] ?? ''; return s.includes('*') || suites.includes(s); })) return [];
    const versions = e.versions;
    if (versions && !kernels.some((k) => { const v = versionHint(k); return v === null || inRange(v, versions); })) return [];
    return [{ ...e, variants: ['base'] }];
  });
}

export interface ValidateSelection {
  /** Kernel ids of the default set ("6.1,6.12" may come as one). */
  kernels?: readonly string[];
  arches?: readonly string[];
}

function pickKernels(defaults: MatrixConfig, asked: readonly string[] | undefined): KernelEntry[] {
  const ids = (asked ?? []).flatMap((k) => k.split(',')).map((k) => k.trim()).filter(Boolean);
  if (ids.length === 0) return defaults.kernels;
  const known = defaults.kernels.map((k) => k.id);
  const unknown = ids.filter((i) => !known.includes(i));
  if (unknown.length > 0) {
    throw new UserError('UNKNOWN_KERNEL', `Unknown kernel ${unknown.map((u) => `"${u}"`).join(', ')} in ${defaults.file}. Available: ${known.join(', ')}`, { hint: 'pass ids of the default set with --kernels (comma-separated)' });
  }
  return defaults.kernels.filter((k) => ids.includes(k.id));
}

/**
 * A kernel of the default set that names its own arches keeps those of the
 * selection; one left with none is not run (a kernel the default set keeps
 * off an arch would otherwise fail the generated config's cross-check).
 */
export function narrowToArches(kernels: readonly KernelEntry[], arches: readonly string[], file: string): KernelEntry[] {
  const out = kernels.flatMap((k) => {
    if (!k.arches) return [k];
    const kept = k.arches.filter((a) => arches.includes(a));
    return kept.length > 0 ? [{ ...k, arches: kept }] : [];
  });
  if (out.length === 0) {
    throw new UserError('NO_KERNEL_FOR_ARCH', `None of the kernels ${kernels.map((k) => `"${k.id}"`).join(', ')} of ${file} runs on ${arches.join(', ')} (see kernels[].arches there)`, { hint: 'pick other --kernels or --arch' });
  }
  return out;
}

/** The generated config, as the YAML document to write (patch series live in patches/<variant>/ next to it). */
export function validateConfig(defaults: MatrixConfig, intake: Intake, variants: readonly VariantPlan[], suites: readonly MappedSuite[], sel: ValidateSelection): Record<string, unknown> {
  const arches = sel.arches && sel.arches.length > 0 ? [...new Set(sel.arches.map((a) => canonicalArchName(a)))] : defaults.arches;
  const kernels = narrowToArches(pickKernels(defaults, sel.kernels), arches, defaults.file);
  return {
    name: `validate-${slug(intake.series[0]?.subject.title ?? 'patch', 40)}`,
    description: `kvmatrix validate: ${intake.thread.subject}`,
    kernels,
    variants: [
      { name: 'base' },
      ...variants.map((v) => ({ name: v.name, description: v.description, patches: [`patches/${v.name}`], repair: true })),
    ],
    arches,
    suites,
    accel: defaults.accel,
    timeouts: defaults.timeouts,
    repeat: 1,
    expectations: knownExpectations(defaults.expectations, kernels, arches, suites.map((s) => s.name)),
  };
}
