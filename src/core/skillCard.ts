/**
 * SKILL.md (an Agent Skills card) cross-check: its YAML front matter must carry the
 * manifest's name and description. Pure; positions are lines of SKILL.md.
 */
import { parseYamlSafely } from "./safeYaml.js";

export interface CardProblem {
  line: number;
  column: number;
  message: string;
}

const squash = (s: string) => s.replace(/\s+/g, " ").trim();

export function checkSkillCard(text: string, file: string, manifest: { name: string; description: string }): CardProblem[] {
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  if (lines[0]?.trim() !== "---") {
    return [{ line: 1, column: 1, message: "SKILL.md must start with YAML front matter (--- name: ..., description: ... ---)" }];
  }
  const end = lines.findIndex((l, i) => i > 0 && (l.trim() === "---" || l.trim() === "..."));
  if (end < 0) return [{ line: 1, column: 1, message: "SKILL.md front matter is not closed by a --- line" }];
  // The front matter starts on line 2 of the file.
  const parsed = parseYamlSafely(lines.slice(1, end).join("\n"), file);
  const shift = (p: { line: number; column: number }) => ({ line: p.line + 1, column: p.column });
  if (parsed.findings.length > 0) {
    return parsed.findings.map((f) => ({ ...shift(f), message: `SKILL.md front matter: ${f.message}` }));
  }
  const card = parsed.value;
  if (typeof card !== "object" || card === null || Array.isArray(card)) {
    return [{ line: 2, column: 1, message: "SKILL.md front matter must be a mapping with name and description" }];
  }
  const problems: CardProblem[] = [];
  const fields = card as Record<string, unknown>;
  for (const key of ["name", "description"] as const) {
    const value = fields[key];
    const expected = manifest[key];
    if (typeof value !== "string") {
      const where = value === undefined ? { line: 2, column: 1 } : shift(parsed.locate(`/${key}`));
      problems.push({ ...where, message: `SKILL.md front matter: ${key} is missing or not text; it must be ${JSON.stringify(expected.slice(0, 80))} as in skill.yaml` });
    } else if (squash(value) !== squash(expected)) {
      problems.push({
        ...shift(parsed.locate(`/${key}`)),
        message: `SKILL.md ${key} ${JSON.stringify(value.slice(0, 80))} differs from skill.yaml ${key} ${JSON.stringify(expected.slice(0, 80))}`,
      });
    }
  }
  return problems;
}
