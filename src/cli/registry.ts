// Every top-level command, with the one line `practice --help` shows. Modules load only when their
// command runs, so help and usage errors stay fast and never open the database.
import type { Command } from 'commander';
import type { ActionFactory } from './context.js';

export interface CommandModule {
  register(program: Command, action: ActionFactory): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const commandEntries: CommandEntry[] = [
  { name: 'setup', summary: 'record the practice, locations, providers, payers and clearinghouse', load: () => import('../commands/setup.js') },
  { name: 'demo', summary: 'create a fictional practice with patients and two years of care, to try things on', load: () => import('../commands/demo.js') },
  { name: 'db', summary: 'migrate the database, show its status, set up PostgreSQL roles', load: () => import('../commands/db.js') },
  { name: 'practices', summary: 'PostgreSQL: the practices one server holds (each its own schema); add one', load: () => import('../commands/practices.js') },
  { name: 'audit', summary: 'who looked at or changed a chart, disclosures, and proof the audit trail is whole', load: () => import('../commands/audit.js') },
  { name: 'providers', summary: 'list, add, edit or deactivate providers', load: () => import('../commands/providers.js') },
  { name: 'locations', summary: 'list, add, edit or deactivate locations', load: () => import('../commands/locations.js') },
  { name: 'payers', summary: 'list, add, edit or deactivate payers', load: () => import('../commands/payers.js') },
  { name: 'import', summary: 'import paper-chart CSVs, old-system exports, Synthea CSV and FHIR; template; log', load: () => import('../commands/import.js') },
  { name: 'patients', summary: 'find, show (chart summary, PDF), add, edit, merge duplicates, deactivate patients', load: () => import('../commands/patients.js') },
  { name: 'problems', summary: 'add or list a patient\'s problems (ICD-10-CM)', load: () => import('../commands/problems.js') },
  { name: 'medications', summary: 'add or list a patient\'s medications, with allergy and duplicate checks', load: () => import('../commands/medications.js') },
  { name: 'allergies', summary: 'add or list a patient\'s allergies', load: () => import('../commands/allergies.js') },
  { name: 'immunizations', summary: 'add or list a patient\'s immunizations (CVX)', load: () => import('../commands/immunizations.js') },
  { name: 'vitals', summary: 'add or list a patient\'s vital signs', load: () => import('../commands/vitals.js') },
  { name: 'labs', summary: 'add or list a patient\'s lab results (LOINC)', load: () => import('../commands/labs.js') },
  { name: 'insurance', summary: "add, edit, end or list a patient's insurance (payer, member id, subscriber, order)", load: () => import('../commands/insurance.js') },
  { name: 'history', summary: "add or list a patient's family, social and surgical history and smoking status", load: () => import('../commands/history.js') },
  { name: 'advance-directives', summary: "record a patient's advance directives (living will, POA, POLST/MOLST, DNR) and where they are", load: () => import('../commands/advance-directives.js') },
  { name: 'orders', summary: 'lab and imaging orders: add, list open ones, complete or revoke', load: () => import('../commands/orders.js') },
  { name: 'notes', summary: 'add or list a patient\'s SOAP progress notes', load: () => import('../commands/notes.js') },
  { name: 'encounters', summary: 'record visits with charges, diagnosis pointers and SOAP note; the fee schedule', load: () => import('../commands/encounters.js') },
  { name: 'appointments', summary: 'book, list, check in, cancel and reschedule appointments; no-show rates', load: () => import('../commands/appointments.js') },
  { name: 'recall', summary: 'recall reminders: rules, due lists, and sending by email, SMS, letter or call list', load: () => import('../commands/recall.js') },
  { name: 'report', summary: 'quality measures, care gaps, productivity and the monthly report pack', load: () => import('../commands/report.js') },
  { name: 'valueset', summary: 'load the code lists (value sets) quality measures use', load: () => import('../commands/valueset.js') },
  { name: 'rvu', summary: 'load Medicare RVUs and GPCIs, and choose the payment locality', load: () => import('../commands/rvu.js') },
  { name: 'claims', summary: 'build, check and export 837P claims, post 835 remittances, AR and denials', load: () => import('../commands/claims.js') },
  { name: 'statements', summary: "patient statements for a month: visits, insurance paid, what the patient owes", load: () => import('../commands/statements.js') },
  { name: 'payments', summary: "record patients' payments (copays, statement payments)", load: () => import('../commands/payments.js') },
  { name: 'mar', summary: 'eMAR: medication orders, doses due, barcode-checked administration, missed doses', load: () => import('../commands/mar.js') },
  { name: 'fhir', summary: 'export records as FHIR R4 / US Core (one patient or bulk NDJSON) and validate FHIR files', load: () => import('../commands/fhir.js') },
  { name: 'referrals', summary: 'refer patients to other clinicians: packet (FHIR + PDF), prior authorizations, follow-up', load: () => import('../commands/referrals.js') },
];
