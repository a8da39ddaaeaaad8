-- W4 floor: one establishment by id (pgbench -D id=N) and its products.
SELECT id, name, province_code, commune_code, version FROM establishment WHERE id = :id;
SELECT id, name FROM product WHERE establishment_id = :id ORDER BY id;
