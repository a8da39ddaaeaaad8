-- W2b floor: 20 projects, their beneficiaries with establishments, allocations with sources.
SELECT id, code, title, support_vnd FROM project ORDER BY id LIMIT 21;
SELECT b.project_id, b.support_vnd, e.name FROM project_beneficiary b JOIN establishment e ON e.id = b.establishment_id
  WHERE b.project_id IN (SELECT id FROM project ORDER BY id LIMIT 20);
SELECT a.project_id, a.amount_vnd, f.name FROM allocation a JOIN funding_source f ON f.id = a.funding_source_id
  WHERE a.project_id IN (SELECT id FROM project ORDER BY id LIMIT 20);
