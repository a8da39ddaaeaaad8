//! The OCOP rating (`ocop_criteria.csv`, `ocop_issuing.csv`): star bands, quorum, the
//! provincial and central decisions and the fall-back, over every tally.

use super::*;

#[test]
fn the_shipped_ocop_criteria_are_those_of_the_decision() {
    let rows = ocop_criteria_rows();
    assert!(!rows.is_empty());
    for c in &rows {
        assert!(!c.legal_basis.trim().is_empty(), "{}", c.version);
        assert_eq!(
            c.max_part_a + c.max_part_b + c.max_part_c,
            100,
            "{}",
            c.version
        );
        assert!(
            0 < c.star2_from
                && c.star2_from < c.star3_from
                && c.star3_from < c.star4_from
                && c.star4_from < c.star5_from
                && c.star5_from <= 100,
            "bands of {} rise inside 0–100",
            c.version
        );
        assert!(
            c.min_members >= 1 && c.validity_months >= 1,
            "{}",
            c.version
        );
    }
    // Decision 148/QĐ-TTg as amended by 1489/QĐ-TTg, written out independently of the file.
    let current = rows
        .iter()
        .find(|c| c.version == "148/QĐ-TTg+1489/QĐ-TTg")
        .expect("the version in force");
    assert_eq!(
        (
            [current.max_part_a, current.max_part_b, current.max_part_c],
            [
                current.star2_from,
                current.star3_from,
                current.star4_from,
                current.star5_from
            ],
            current.min_members,
            current.validity_months,
        ),
        ([40, 25, 35], [30, 50, 70, 90], 3, 36)
    );
}

#[test]
fn every_mean_gets_the_star_band_of_its_criteria() {
    for c in ocop_criteria_rows() {
        let from = [c.star2_from, c.star3_from, c.star4_from, c.star5_from];
        for mean in 0..=10_000_i64 {
            // One star, and one more for each band edge the mean has reached.
            let expected = 1 + from
                .iter()
                .filter(|f| mean as f64 / 100.0 >= f64::from(**f))
                .count() as i32;
            assert_eq!(ocop::stars(&c, mean), expected, "{} at {mean}", c.version);
        }
    }
    let c = &ocop_criteria_rows()[0];
    for (mean, stars) in [
        (0, 1),
        (2999, 1),
        (3000, 2),
        (4999, 2),
        (5000, 3),
        (6999, 3),
        (7000, 4),
        (8999, 4),
        (9000, 5),
        (10_000, 5),
    ] {
        assert_eq!(ocop::stars(c, mean), stars, "{mean}");
    }
}

#[test]
fn a_council_decides_with_its_minimum_of_members() {
    for c in ocop_criteria_rows() {
        let min = i64::from(c.min_members);
        assert!(!ocop::quorum(&c, min - 1), "{}", c.version);
        assert!(ocop::quorum(&c, min), "{}", c.version);
        assert!(ocop::quorum(&c, min + 1), "{}", c.version);
    }
}

/// The mean of `count` scores adding up to `sum_centi` hundredths has reached `points`.
fn reached(sum_centi: i64, count: i64, points: i32) -> bool {
    sum_centi as f64 / count as f64 / 100.0 >= f64::from(points)
}

#[test]
fn the_province_decides_every_tally_by_the_bands_and_the_issuing_table() {
    use ocop::ProvinceDecision as D;
    for c in ocop_criteria_rows() {
        for count in i64::from(c.min_members)..=i64::from(c.min_members) + 2 {
            for sum in 0..=10_000 * count {
                for failed in [false, true] {
                    // SPEC §6 "Decision": a mandatory failure or a mean under 3★ certifies
                    // nothing; 5★ goes to the centre; 3★ and 4★ are certified by the province.
                    let band = 1 + [c.star2_from, c.star3_from, c.star4_from, c.star5_from]
                        .iter()
                        .filter(|f| reached(sum, count, **f))
                        .count() as i32;
                    let expected = if failed || band < 3 {
                        D::NotCertified { stars: band.min(2) }
                    } else if band == 5 {
                        D::ToCentre
                    } else {
                        D::Certify { stars: band }
                    };
                    let got = ocop::province_decision(&c, sum, count, failed);
                    assert_eq!(got, expected, "{} {sum}/{count} {failed}", c.version);
                    // And the issuing table agrees with who certifies what.
                    match got {
                        D::Certify { stars } => {
                            assert_eq!(ocop_issuer(stars), Some(OcopIssuingLevel::Province));
                        }
                        D::ToCentre => {
                            assert_eq!(ocop_issuer(band), Some(OcopIssuingLevel::National));
                        }
                        D::NotCertified { stars } => assert_eq!(ocop_issuer(stars), None),
                    }
                }
            }
        }
    }
}

#[test]
fn the_centre_recognises_five_stars_from_the_band_and_without_a_failure() {
    for c in ocop_criteria_rows() {
        for count in i64::from(c.min_members)..=i64::from(c.min_members) + 2 {
            for sum in 0..=10_000 * count {
                for failed in [false, true] {
                    assert_eq!(
                        ocop::centre_recognises(&c, sum, count, failed),
                        !failed && reached(sum, count, c.star5_from),
                        "{} {sum}/{count} {failed}",
                        c.version
                    );
                }
            }
        }
    }
}

#[test]
fn every_fallback_is_fewer_stars_that_the_province_issues() {
    let rows = OCOP_ISSUING.as_ref().expect("ocop_issuing.csv");
    for r in rows {
        assert_eq!(
            rows.iter().filter(|o| o.stars == r.stars).count(),
            1,
            "one row of {}★",
            r.stars
        );
        if let Some(f) = r.fallback_stars {
            assert!(f < r.stars, "{}★ falls back to fewer stars", r.stars);
            assert_eq!(ocop_issuer(f), Some(OcopIssuingLevel::Province), "{f}★");
            assert_eq!(r.issuing_level, OcopIssuingLevel::National, "{}★", r.stars);
        }
    }
    // Every rating a criteria version can give from 3★ up is issued by some level.
    for c in ocop_criteria_rows() {
        for mean in [c.star3_from, c.star4_from, c.star5_from] {
            let stars = ocop::stars(&c, i64::from(mean) * 100);
            assert!(ocop_issuer(stars).is_some(), "{stars}★ of {}", c.version);
        }
    }
}
