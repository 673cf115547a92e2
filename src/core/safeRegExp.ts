/**
 * The regular-expression engine for contributor schemas (Ajv's code.regExp): a pattern
 * shaped for exponential backtracking is refused, and a subject longer than
 * MAX_PATTERN_SUBJECT never matches, so a contributor's pattern cannot hang the host (ReDoS).
 * The precompiled meta-schema validator uses it too (scripts/gen-validators.mjs). Pure.
 */
/** Strings longer than this never match a contributor's pattern (bounds backtracking). */
export const MAX_PATTERN_SUBJECT = 1000;

export class UnsafePatternError extends Error {
  constructor(readonly pattern: string) {
    super(`pattern ${JSON.stringify(pattern.slice(0, 80))} repeats a group that itself repeats or alternates (or uses a backreference); it could take exponential time, so simplify it`);
    this.name = "UnsafePatternError";
  }
}

/**
 * True when a regular expression has a quantified group containing a quantifier or an
 * alternation ("(a+)+", "(a|aa)*"), or a backreference: the shapes of exponential backtracking.
 */
export function isUnsafePattern(pattern: string): boolean {
  const groups: Array<{ risky: boolean }> = [];
  let riskyClosed = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] as string;
    // Any repetition that can repeat more than once: *, +, {n} / {n,} / {n,m} other than {0}, {1}, {0,1}, {1,1}.
    const brace = ch === "{" ? /^\{(\d*)(,?)(\d*)\}/.exec(pattern.slice(i)) : null;
    const quantifierHere = ch === "*" || ch === "+" || (brace !== null && !(Number(brace[2] ? brace[3] || Infinity : brace[1]) <= 1));
    if (quantifierHere && riskyClosed) return true;
    riskyClosed = false;
    if (ch === "\\") {
      if (/[1-9k]/.test(pattern[i + 1] ?? "")) return true;
      i++;
    } else if (ch === "[") {
      for (i++; i < pattern.length && pattern[i] !== "]"; i++) if (pattern[i] === "\\") i++;
    } else if (ch === "(") {
      groups.push({ risky: false });
    } else if (ch === ")") {
      const g = groups.pop();
      riskyClosed = g?.risky ?? false;
      if (riskyClosed && groups.length > 0) (groups[groups.length - 1] as { risky: boolean }).risky = true;
    } else if (ch === "|" || quantifierHere) {
      if (groups.length > 0) (groups[groups.length - 1] as { risky: boolean }).risky = true;
    }
  }
  return false;
}

export function safeRegExp(pattern: string, flags: string): { test(s: string): boolean } {
  if (isUnsafePattern(pattern)) throw new UnsafePatternError(pattern);
  const re = new RegExp(pattern, flags);
  return { test: (s: string) => s.length <= MAX_PATTERN_SUBJECT && re.test(s) };
}
