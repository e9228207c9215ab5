-- A medication the patient or another clinician reported is a plan, not an order placed here
-- (MedicationRequest.intent); rows written before the column existed took the default 'order'.
UPDATE "medications" SET "intent" = 'plan' WHERE "kind" = 'statement' AND "intent" = 'order';
