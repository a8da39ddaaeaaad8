//! Money (`support_caps.csv`, `disbursement.csv`, `funding_levels.csv`): support caps at their
//! edges, the advance ceiling, and which sources fund which programme.

use super::*;

#[test]
fn every_support_cap_holds_at_its_edges() {
    let rows = read::<CapRow>("support_caps.csv").expect("support_caps.csv");
    assert!(!rows.is_empty());
    for r in rows {
        let what = format!("{} {} {:?}", r.program_level, r.category, r.province_code);
        assert!(ProgramLevel::parse(&r.program_level).is_some(), "{what}");
        assert!(ProjectCategory::parse(&r.category).is_some(), "{what}");
        assert!(
            matches!(r.per_unit.as_str(), "ESTABLISHMENT" | "MODEL"),
            "{what}"
        );
        assert!(!r.legal_basis.trim().is_empty(), "{what}");
        // A province's own rule is for its local programme only.
        let provincial = r.province_code.as_deref().is_some_and(|p| !p.is_empty());
        assert!(!provincial || r.program_level == "LOCAL", "{what}");
        assert!(
            (1..=100).contains(&r.max_percent) && r.max_amount_vnd > 0,
            "{what}"
        );

        let (p, max) = (r.max_percent, r.max_amount_vnd);
        let cap = |support, counterpart| money::within_support_cap(p, max, support, counterpart);
        // The share: exactly `p` % of the total cost is allowed, one đồng less of the
        // establishment's own investment is not.
        let support = i64::from(p) * 1_000_000;
        let counterpart = i64::from(100 - p) * 1_000_000;
        assert!(support <= max, "{what}");
        assert!(cap(support, counterpart), "{what}: exactly {p} %");
        assert!(!cap(support, counterpart - 1), "{what}: over {p} %");
        // The amount: exactly the cap is allowed, one đồng more is not, whatever the share.
        let plenty = max * 100;
        assert!(cap(max, plenty), "{what}: exactly {max}");
        assert!(!cap(max + 1, plenty), "{what}: over {max}");
        // No support is always within the cap.
        assert!(cap(0, 0), "{what}");
    }
}

#[test]
fn advances_stop_at_their_share_until_acceptance() {
    let rows = read::<DisbursementRow>("disbursement.csv").expect("disbursement.csv");
    assert!(!rows.is_empty());
    for r in rows {
        let p = r.advance_percent;
        assert!((1..=100).contains(&p) && !r.legal_basis.trim().is_empty());
        assert_eq!(
            money::disbursement_ceiling(1_000_000_000, p, true),
            i64::from(p) * 10_000_000
        );
        assert_eq!(
            money::disbursement_ceiling(1_000_000_000, p, false),
            1_000_000_000
        );
        // Rounded down to the đồng: never more than the share.
        let odd = 999_999_999;
        let ceiling = money::disbursement_ceiling(odd, p, true);
        assert!(i128::from(ceiling) * 100 <= i128::from(odd) * i128::from(p));
        assert!(i128::from(ceiling + 1) * 100 > i128::from(odd) * i128::from(p));
    }
    let shipped = read::<DisbursementRow>("disbursement.csv").expect("disbursement.csv");
    assert_eq!(
        shipped.last().map(|r| r.advance_percent),
        Some(70),
        "Circular 64/2024/TT-BTC"
    );
}

#[test]
fn every_programme_and_source_level_and_province_permutation() {
    use FundingLevel as F;
    use ProgramLevel as P;
    // SPEC §3 "Allocations": NATIONAL projects from NATIONAL or OTHER sources; LOCAL projects
    // from LOCAL sources of the same province or OTHER sources not tied to another province.
    // Columns: a source of no province, of the project's province (01), of another (79).
    let table = [
        (P::National, F::National, [true, true, true]),
        (P::National, F::Local, [false, false, false]),
        (P::National, F::Other, [true, true, true]),
        (P::Local, F::National, [false, false, false]),
        (P::Local, F::Local, [false, true, false]),
        (P::Local, F::Other, [true, true, false]),
    ];
    assert_eq!(
        table.len(),
        ProgramLevel::ALL.len() * FundingLevel::ALL.len()
    );
    for (program, source, expected) in table {
        for (province, e) in [None, Some("01"), Some("79")].into_iter().zip(expected) {
            assert_eq!(
                source_may_fund(program, "01", source, province),
                e,
                "{program} project of 01 from a {source} source of {province:?}"
            );
        }
    }
}
