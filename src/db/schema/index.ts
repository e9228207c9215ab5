// The whole practice database schema; drizzle-kit reads this file to generate migrations.
export * from './reference.js';
export * from './practice.js';
export * from './patients.js';
export * from './encounters.js';
export * from './clinical.js';
export * from './observations.js';
export * from './care.js';
export * from './billing.js';
export * from './schedule.js';
export * from './mar.js';
export * from './valuesets.js';
export * from './audit.js';
export * from './fees.js';
export * from './rvu.js';
export * from './quality.js';
export * from './claims-x12.js';
