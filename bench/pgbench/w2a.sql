-- W2a floor: a page of 50 establishments and their products (two statements).
SELECT id, name FROM establishment WHERE province_code = '66' ORDER BY id LIMIT 51;
SELECT p.id, p.name, p.establishment_id FROM product p
  WHERE p.establishment_id IN (SELECT id FROM establishment WHERE province_code = '66' ORDER BY id LIMIT 50)
  ORDER BY p.id;
