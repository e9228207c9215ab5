-- The audit trail and the administration record are append-only: corrections are new rows.
-- The one update allowed is a patient merge moving a row to the kept chart (patient_id alone changes).
CREATE FUNCTION practice_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND (to_jsonb(NEW) - 'patient_id') = (to_jsonb(OLD) - 'patient_id') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION practice_refuse_change();
--> statement-breakpoint
CREATE TRIGGER administrations_append_only BEFORE UPDATE OR DELETE ON administrations
  FOR EACH ROW EXECUTE FUNCTION practice_refuse_change();
