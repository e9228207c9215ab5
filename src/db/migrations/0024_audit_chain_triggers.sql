-- The audit trail you can prove (SECURITY.md, "Audit trail").
-- Each entry is sealed when its transaction commits: it takes the next position (seq) after the last
-- committed entry, keeps that entry's hash (prev_hash) and gets
--   hash = sha256(prev_hash || '\n' || canonical content)
-- so a deleted, changed or reordered entry breaks the chain at that point. Sealing at commit, under one
-- transaction-scoped lock, keeps the chain single even when several writers commit at once, and holds the
-- lock only for the moment of the commit (never while a transaction waits on other rows).

-- A blank actor is refused (NOT VALID: entries written before this rule stay as they were, unchanged).
ALTER TABLE audit_log ADD CONSTRAINT audit_log_actor_ck CHECK (actor ~ '[^[:space:]]') NOT VALID;
--> statement-breakpoint

-- The entry's canonical content: jsonb text is deterministic (sorted keys, fixed spacing), the time is
-- UTC to the microsecond whatever the session's time zone.
CREATE FUNCTION audit_entry_hash(prev text, e audit_log) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT encode(sha256(convert_to(coalesce(prev, '') || E'\n' || jsonb_build_array(
    e.seq, e.id, to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
    e.actor, e.action, e.entity, e.entity_id, e.command, e.patient_id, e.details
  )::text, 'UTF8')), 'hex')
$$;
--> statement-breakpoint

-- Entries recorded before the chain: link them to their chart where the entry says which one, then seal
-- them in the order they were written.
DROP TRIGGER audit_log_append_only ON audit_log;
--> statement-breakpoint
UPDATE audit_log SET patient_id = CASE
    WHEN entity = 'patients' AND entity_id ~ '^[0-9]{1,9}$' THEN entity_id::integer
    WHEN jsonb_typeof(details -> 'patientId') = 'number' THEN (details ->> 'patientId')::integer
  END
  WHERE patient_id IS NULL;
--> statement-breakpoint
DO $$
DECLARE
  entry audit_log;
  next_seq integer := 0;
  previous text := NULL;
BEGIN
  FOR entry IN SELECT * FROM audit_log WHERE seq IS NULL ORDER BY id LOOP
    next_seq := next_seq + 1;
    entry.seq := next_seq;
    entry.prev_hash := previous;
    entry.hash := audit_entry_hash(previous, entry);
    UPDATE audit_log SET seq = entry.seq, prev_hash = entry.prev_hash, hash = entry.hash WHERE id = entry.id;
    previous := entry.hash;
  END LOOP;
END;
$$;
--> statement-breakpoint

-- The chain columns are the database's: whatever an INSERT puts there is cleared, then sealed at commit.
CREATE FUNCTION audit_log_unsealed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  NEW.seq := NULL;
  NEW.prev_hash := NULL;
  NEW.hash := NULL;
  RETURN NEW;
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_unsealed BEFORE INSERT ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_unsealed();
--> statement-breakpoint

-- Append-only: the one change allowed is sealing an unsealed entry (only its chain columns change).
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
     AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'hash') = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'hash') THEN
    RETURN NEW;
  END IF;
  RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
--> statement-breakpoint

-- Sealing runs as the table's owner (SECURITY DEFINER): the application role may only INSERT and SELECT.
CREATE FUNCTION audit_log_seal() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  tail_seq integer;
  tail_hash text;
BEGIN
  -- One sealer at a time until this transaction commits; a new statement snapshot then sees the entry
  -- the previous holder committed.
  PERFORM pg_advisory_xact_lock(hashtext('practicekit:audit_log'));
  SELECT seq, hash INTO tail_seq, tail_hash FROM audit_log WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1;
  NEW.seq := coalesce(tail_seq, 0) + 1;
  NEW.prev_hash := tail_hash;
  NEW.hash := audit_entry_hash(tail_hash, NEW);
  UPDATE audit_log SET seq = NEW.seq, prev_hash = NEW.prev_hash, hash = NEW.hash WHERE id = NEW.id;
  RETURN NULL;
END;
$$;
--> statement-breakpoint
CREATE CONSTRAINT TRIGGER audit_log_seal AFTER INSERT ON audit_log
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_log_seal();
