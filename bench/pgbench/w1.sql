-- W1 floor: a page of 50 establishments of one province, and its count.
SELECT id, name, commune_code, province_code, kind, sector, status, version, created_at, updated_at
  FROM establishment WHERE province_code = '66' ORDER BY id LIMIT 51;
SELECT COUNT(*) FROM establishment WHERE province_code = '66';
