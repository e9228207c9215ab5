// The QPP submissions API document for MIPS quality measures (measurementSet, category "quality",
// submission method electronicHealthRecord), from a quality report.
import type { Counts, QualityReport } from '../../measures/run.js';

// QPP's strata names for the multi-rate measure 226 (CMS138), by group.
const QPP_STRATA: Record<string, string[]> = { '226': ['reporting', 'performance', 'combinedPopulations'] };

export interface QppEntity {
  /** individual: the NPI with the TIN it bills under; group: the TIN alone. */
  entityType: 'individual' | 'group';
  tin: string;
  npi?: string;
}

function value(c: Counts) {
  return {
    performanceMet: c.numer,
    performanceNotMet: c.den - c.denex - c.denexcep - c.numer,
    eligiblePopulationExclusion: c.denex,
    eligiblePopulationException: c.denexcep,
    eligiblePopulation: c.den,
  };
}

export function qppSubmission(report: QualityReport, entity: QppEntity) {
  const measurements = report.measures
    .filter((m) => m.qualityId)
    .map((m) => {
      const strata = QPP_STRATA[m.qualityId!];
      return {
        measureId: m.qualityId!,
        value: strata
          ? { isEndToEndReported: true, strata: m.groups.map((g, i) => ({ stratum: strata[i] ?? g.id, ...value(g.overall) })) }
          : { isEndToEndReported: true, ...value(m.groups[0]!.overall) },
      };
    });
  return {
    entityType: entity.entityType,
    taxpayerIdentificationNumber: entity.tin,
    ...(entity.npi ? { nationalProviderIdentifier: entity.npi } : {}),
    performanceYear: Number(report.period.start.slice(0, 4)),
    measurementSets: [
      {
        category: 'quality',
        submissionMethod: 'electronicHealthRecord',
        performanceStart: report.period.start,
        performanceEnd: report.period.end,
        measurements,
      },
    ],
  };
}
