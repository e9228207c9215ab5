-- Each practice's audit trail is its own chain: sealing takes a lock named after the practice's schema,
-- so practices on one server never wait on each other's commits (and a chain never spans two schemas).
CREATE OR REPLACE FUNCTION audit_log_seal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  tail_seq integer;
  tail_hash text;
BEGIN
  -- One sealer at a time per practice until this transaction commits; a new statement snapshot then
  -- sees the entry the previous holder committed.
  PERFORM pg_advisory_xact_lock(hashtext('practicekit:audit_log:' || TG_TABLE_SCHEMA));
  SELECT seq, hash INTO tail_seq, tail_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(tail_seq, 0) + 1;
  NEW.prev_hash := tail_hash;
  NEW.hash := audit_entry_hash(tail_hash, NEW);
  UPDATE audit_log SET seq = NEW.seq, prev_hash = NEW.prev_hash, hash = NEW.hash WHERE id = NEW.id;
  RETURN NULL;
END;
$$;
