// What the practice records about itself and the parties it works with, field by field: the one list the
// set-up file, the wizard, the command-line options and the validation all read.
import type { PgTable } from 'drizzle-orm/pg-core';
import { clearinghouses, locations, payers, practice, providers } from '../db/schema/practice.js';
import * as check from './checks.js';

export interface FieldSpec {
  /** The property in practice.json and the column (camelCase); the option is its kebab-case form. */
  key: string;
  label: string;
  check: check.Check;
  /** Needed when the record is first created. */
  required?: boolean;
  /** What --help shows after the option name (never ending in "...", which commander reads as a list). */
  placeholder: string;
  /** Column value from the checked text, when the column is not text. */
  toColumn?: (value: string) => unknown;
}

export interface EntityKind {
  /** "provider": used in messages and the audit log entity. */
  name: string;
  plural: string;
  table: PgTable;
  /** The field that identifies a record: rerunning set-up with the same key edits it. */
  key: string;
  fields: FieldSpec[];
  /** Can be deactivated (kept for history, left out of lists and new work). */
  hasActive: boolean;
}

const address = (): FieldSpec[] => [
  { key: 'address1', label: 'Street address', check: check.text, placeholder: 'street' },
  { key: 'address2', label: 'Address line 2', check: check.text, placeholder: 'suite' },
  { key: 'city', label: 'City', check: check.text, placeholder: 'city' },
  { key: 'state', label: 'State', check: check.state, placeholder: 'XX' },
  { key: 'zip', label: 'ZIP code', check: check.zip, placeholder: 'zip' },
  { key: 'phone', label: 'Phone', check: check.phone, placeholder: 'phone' },
];

export const practiceKind: EntityKind = {
  name: 'practice',
  plural: 'practice',
  table: practice,
  key: 'tin',
  hasActive: false,
  fields: [
    { key: 'legalName', label: 'Legal name', check: check.text, required: true, placeholder: 'name' },
    { key: 'tin', label: 'TIN (EIN like 12-3456789)', check: check.tin, required: true, placeholder: 'tin' },
    { key: 'billingNpi', label: 'Billing NPI', check: check.npi, required: true, placeholder: 'npi' },
    { key: 'taxonomyCode', label: 'Taxonomy code', check: check.taxonomy, placeholder: 'code' },
    ...address(),
    { key: 'timeZone', label: 'Time zone (like America/New_York)', check: check.timeZone, placeholder: 'zone' },
    { key: 'units', label: 'Units for vital signs typed without one: us (lb, in, °F) or metric (kg, cm, °C)', check: check.unitSystem, placeholder: 'us|metric' },
  ],
};

export const locationKind: EntityKind = {
  name: 'location',
  plural: 'locations',
  table: locations,
  key: 'code',
  hasActive: true,
  fields: [
    { key: 'code', label: 'Location code', check: check.shortCode, required: true, placeholder: 'code' },
    { key: 'name', label: 'Name', check: check.text, required: true, placeholder: 'name' },
    { key: 'placeOfService', label: 'Place of service (CMS code, 11 office)', check: check.placeOfService, placeholder: 'pos' },
    { key: 'npi', label: 'Location NPI', check: check.npi, placeholder: 'npi' },
    ...address(),
  ],
};

export const providerKind: EntityKind = {
  name: 'provider',
  plural: 'providers',
  table: providers,
  key: 'npi',
  hasActive: true,
  fields: [
    { key: 'npi', label: 'NPI', check: check.npi, required: true, placeholder: 'npi' },
    { key: 'firstName', label: 'First name', check: check.text, required: true, placeholder: 'name' },
    { key: 'lastName', label: 'Last name', check: check.text, required: true, placeholder: 'name' },
    { key: 'credentials', label: 'Credentials', check: check.text, placeholder: 'MD|DO|NP|PA' },
    { key: 'taxonomyCode', label: 'Taxonomy code', check: check.taxonomy, placeholder: 'code' },
    { key: 'tin', label: 'TIN', check: check.tin, placeholder: 'tin' },
    // A location code; stored as the location's id.
    { key: 'defaultLocation', label: 'Default location', check: check.shortCode, placeholder: 'code' },
  ],
};

export const payerKind: EntityKind = {
  name: 'payer',
  plural: 'payers',
  table: payers,
  key: 'payerId',
  hasActive: true,
  fields: [
    { key: 'payerId', label: 'Payer id', check: check.payerId, required: true, placeholder: 'id' },
    { key: 'name', label: 'Name', check: check.text, required: true, placeholder: 'name' },
    { key: 'claimFilingIndicator', label: 'Claim filing indicator', check: check.claimFilingIndicator, placeholder: 'code' },
    ...address(),
    { key: 'timelyFilingDays', label: 'Timely filing limit', check: check.wholeDays, placeholder: 'days', toColumn: Number },
  ],
};

export const clearinghouseKind: EntityKind = {
  name: 'clearinghouse',
  plural: 'clearinghouses',
  table: clearinghouses,
  key: 'name',
  hasActive: false,
  fields: [
    { key: 'name', label: 'Clearinghouse name', check: check.text, required: true, placeholder: 'name' },
    { key: 'senderId', label: 'Sender id (ISA06)', check: check.isaId, required: true, placeholder: 'id' },
    { key: 'senderQualifier', label: 'Sender id qualifier (ISA05)', check: check.isaQualifier, placeholder: 'ZZ' },
    { key: 'receiverId', label: 'Receiver id (ISA08)', check: check.isaId, required: true, placeholder: 'id' },
    { key: 'receiverQualifier', label: 'Receiver id qualifier (ISA07)', check: check.isaQualifier, placeholder: 'ZZ' },
    { key: 'applicationSenderCode', label: 'Application sender code (GS02)', check: check.isaId, placeholder: 'code' },
    { key: 'applicationReceiverCode', label: 'Application receiver code (GS03)', check: check.isaId, placeholder: 'code' },
    { key: 'submitterName', label: 'Submitter name', check: check.text, placeholder: 'name' },
    { key: 'submitterContactName', label: 'Submitter contact', check: check.text, placeholder: 'name' },
    { key: 'submitterContactPhone', label: 'Submitter contact phone', check: check.phone, placeholder: 'phone' },
    { key: 'receiverName', label: 'Receiver name', check: check.text, placeholder: 'name' },
    { key: 'usageIndicator', label: 'Usage (P production, T test)', check: check.usageIndicator, placeholder: 'P|T' },
    { key: 'isDefault', label: 'Default clearinghouse', check: check.yesNo, placeholder: 'yes|no', toColumn: (v) => v === 'true' },
  ],
};

export const kebab = (key: string): string => key.replace(/[A-Z]/g, (m) => `-${m.toLowerCase()}`);
