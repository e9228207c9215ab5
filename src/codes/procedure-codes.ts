// CPT and HCPCS Level II code forms and modifiers. Only code forms: CPT descriptors are licensed and never shipped.
import { CodeSystem } from './systems.js';

// CPT Category I: 5 digits; Category II: 4 digits + F; Category III: 4 digits + T; PLA: 4 digits + U.
const CPT = /^([0-9]{5}|[0-9]{4}[FTU])$/;
// HCPCS Level II: a letter A-V then 4 digits.
const HCPCS = /^[A-V][0-9]{4}$/;
const MODIFIER = /^[0-9A-Z]{2}$/;

export type ProcedureSystem = typeof CodeSystem.cpt | typeof CodeSystem.hcpcs;

/** The system a procedure code belongs to, from its form; undefined when it is neither. */
export function procedureCodeSystem(code: string): ProcedureSystem | undefined {
  const c = code.trim().toUpperCase();
  if (CPT.test(c)) return CodeSystem.cpt;
  if (HCPCS.test(c)) return CodeSystem.hcpcs;
  return undefined;
}

export function normalizeProcedureCode(input: string): string | undefined {
  const code = input.trim().toUpperCase();
  return procedureCodeSystem(code) ? code : undefined;
}

export function isModifier(modifier: string): boolean {
  return MODIFIER.test(modifier);
}

/** "25, 59" or "25-59" or ["25"] → ["25","59"]; throws nothing, returns the invalid ones apart. */
export function parseModifiers(input: string | string[] | undefined): { modifiers: string[]; invalid: string[] } {
  const parts = (Array.isArray(input) ? input : (input ?? '').split(/[\s,;:|-]+/))
    .map((m) => m.trim().toUpperCase())
    .filter(Boolean);
  return { modifiers: parts.filter(isModifier), invalid: parts.filter((m) => !isModifier(m)) };
}
