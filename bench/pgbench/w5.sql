-- W5 floor: allocate 1,000 đồng to project :pid from source :sid with both budget checks as
-- conditional updates, the allocation row, its audit event and its change-feed entry, in one
-- transaction (run.py prepends the lines choosing :pid and :sid from the same pairs as the server).
BEGIN;
SELECT id, status, program_level, province_code, fiscal_year, support_vnd, allocated_vnd, version FROM project WHERE id = :pid;
SELECT id, level, province_code, fiscal_year, amount_vnd, allocated_vnd FROM funding_source WHERE id = :sid;
UPDATE project SET allocated_vnd = allocated_vnd + 1000, updated_at = now() WHERE id = :pid AND allocated_vnd + 1000 <= support_vnd;
UPDATE funding_source SET allocated_vnd = allocated_vnd + 1000, updated_at = now() WHERE id = :sid AND allocated_vnd + 1000 <= amount_vnd;
INSERT INTO allocation (project_id, funding_source_id, amount_vnd, disbursed_vnd, released, released_vnd, created_at, updated_at)
  VALUES (:pid, :sid, 1000, 0, false, 0, now(), now());
INSERT INTO audit_event (at, actor_id, actor_role, action, entity_type, entity_id, province_code, commune_code, changes, request_id)
  VALUES (now(), 1, 'NATIONAL', 'allocate', 'Allocation', currval(pg_get_serial_sequence('allocation', 'id')), NULL, NULL, '{"amountVnd":{"to":1000}}', NULL);
INSERT INTO change_event (entity_type, entity_id, operation, version, action, status_changed, at, actor_id, province_code, commune_code)
  VALUES ('ALLOCATION', currval(pg_get_serial_sequence('allocation', 'id')), 'CREATE', NULL, 'allocate', false, now(), 1, NULL, NULL);
COMMIT;
