//! The money of a project as pure functions of a rule row: the support cap of a beneficiary
//! (`data/rules/support_caps.csv`, Circular 28/2018/TT-BTC as amended by Circular
//! 64/2024/TT-BTC, and a province's own rule for its local programme) and the advance ceiling
//! before acceptance (`data/rules/disbursement.csv`).

/// Whether a beneficiary's `support` with its own `counterpart` stays within a cap of
/// `max_percent` of the total cost and `max_amount_vnd` (both bounds inclusive; computed
/// without overflow).
pub fn within_support_cap(
    max_percent: i32,
    max_amount_vnd: i64,
    support: i64,
    counterpart: i64,
) -> bool {
    let total = i128::from(support) + i128::from(counterpart);
    let over_percent = i128::from(support) * 100 > i128::from(max_percent) * total;
    !(over_percent || support > max_amount_vnd)
}

/// The most that may be disbursed of an allocation of `allocation_vnd`: `advance_percent` of it
/// before acceptance, all of it after.
pub fn disbursement_ceiling(
    allocation_vnd: i64,
    advance_percent: i32,
    before_acceptance: bool,
) -> i64 {
    if before_acceptance {
        allocation_vnd * i64::from(advance_percent) / 100
    } else {
        allocation_vnd
    }
}
