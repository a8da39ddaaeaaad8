-- W3 floor: the funding summary by province, the same GROUP BY the server runs.
SELECT p.province_code AS k, COUNT(*) AS projects,
  SUM(CASE WHEN p.status = 'STOPPED' THEN 0 ELSE p.counterpart_vnd END) AS counterpart,
  COALESCE(SUM(m.national), 0), COALESCE(SUM(m.local), 0), COALESCE(SUM(m.other), 0), COALESCE(SUM(m.disbursed), 0)
FROM project p LEFT JOIN (SELECT a.project_id,
    SUM(CASE WHEN fs.level = 'NATIONAL' THEN a.amount_vnd - a.released_vnd ELSE 0 END) AS national,
    SUM(CASE WHEN fs.level = 'LOCAL' THEN a.amount_vnd - a.released_vnd ELSE 0 END) AS local,
    SUM(CASE WHEN fs.level = 'OTHER' THEN a.amount_vnd - a.released_vnd ELSE 0 END) AS other,
    SUM(a.disbursed_vnd) AS disbursed
  FROM allocation a JOIN funding_source fs ON fs.id = a.funding_source_id GROUP BY a.project_id) m
  ON m.project_id = p.id
WHERE p.status IN ('APPROVED', 'IN_PROGRESS', 'ACCEPTED', 'SETTLED', 'STOPPED')
GROUP BY p.province_code;
