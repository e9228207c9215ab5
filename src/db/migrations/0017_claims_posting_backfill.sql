-- Remittances posted before payments had an identity: payer + TRN02. A payment that was posted twice
-- (the same payment in two envelopes) keeps its first row as the payment; later rows are marked.
with keyed as (
  select id,
         case when payer_id is not null then 'payer ' || payer_id else 'unknown ' || coalesce(payer_identifier, payer_name, '') end
           || ' trace ' || coalesce(trace_number, file_sha256) as k
  from remittances where payment_key is null
), numbered as (
  select id, k, row_number() over (partition by k order by id) as n from keyed
)
update remittances r set payment_key = case when numbered.n = 1 then numbered.k else numbered.k || ' duplicate ' || r.id end
from numbered where numbered.id = r.id;
--> statement-breakpoint
-- A claim-level denial's CAS amounts leave the balance open (they were counted as written off).
update adjustments a set denial = true
from denials d
where d.claim_id = a.claim_id and d.remittance_id = a.remittance_id and d.claim_line_id is null
  and a.group_code <> 'PR' and not (a.group_code = 'OA' and a.reason_code = '23');
--> statement-breakpoint
update claims c set adjusted_cents = coalesce((select sum(a.amount_cents) from adjustments a where a.claim_id = c.id and a.group_code <> 'PR' and not a.denial), 0)
where exists (select 1 from adjustments a where a.claim_id = c.id and a.denial);
