//! The words and random choices generated rows are made of: Vietnamese family and given
//! names, trades, forms of establishment, sectors, products, project categories and the
//! project states with whether they hold money.

use crate::enums::{EstablishmentKind, ProjectCategory, ProjectStatus, Sector};
use rand::{Rng, rngs::StdRng};

pub(super) const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý", "H'Hen", "Y Moan", "Ksor", "Niê",
];
pub(super) const GIVEN: &[&str] = &[
    "Văn Hải",
    "Thị Lan",
    "Đức Thắng",
    "Thị Hương",
    "Minh Tuấn",
    "Thị Ngọc",
    "Quốc Bảo",
    "Thị Thu",
    "Hữu Phước",
    "Thanh Tâm",
    "Xuân Trường",
    "Thị Mỹ",
];
pub(super) const TRADE: &[&str] = &[
    "Cà phê",
    "Chè",
    "Mắc ca",
    "Hồ tiêu",
    "Ca cao",
    "Mây tre đan",
    "Gốm",
    "Dệt thổ cẩm",
    "Gỗ mỹ nghệ",
    "Nước mắm",
    "Bánh tráng",
    "Rượu cần",
    "Mật ong",
    "Sơn mài",
    "Cơ khí nhỏ",
    "Chế biến hạt điều",
    "Nông cụ",
    "Nấm linh chi",
];
pub(super) const FORM: &[(EstablishmentKind, &str)] = &[
    (EstablishmentKind::Sme, "Công ty TNHH"),
    (EstablishmentKind::Cooperative, "Hợp tác xã"),
    (EstablishmentKind::BusinessHousehold, "Hộ kinh doanh"),
    (EstablishmentKind::CooperativeGroup, "Tổ hợp tác"),
    (EstablishmentKind::Artisan, "Nghệ nhân"),
    (EstablishmentKind::BusinessHousehold, "Cơ sở"),
];
pub(super) const SECTORS: &[Sector] = &[
    Sector::AgroForestryFisheryFood,
    Sector::ConsumerGoods,
    Sector::Handicraft,
    Sector::WoodFurniture,
    Sector::TextileGarment,
    Sector::MechanicalElectrical,
    Sector::BuildingMaterials,
    Sector::AgriculturalChemicals,
    Sector::Herbal,
    Sector::Other,
];
pub(super) const PRODUCT_KIND: &[&str] = &[
    "rang xay",
    "sấy khô",
    "đặc sản",
    "hữu cơ",
    "thủ công",
    "đóng gói",
    "truyền thống",
    "cao cấp",
];
pub(super) const CATEGORIES: &[ProjectCategory] = &[
    ProjectCategory::VocationalTraining,
    ProjectCategory::CapacityBuilding,
    ProjectCategory::TechnicalDemonstration,
    ProjectCategory::TechnologyTransfer,
    ProjectCategory::AdvancedMachinery,
    ProjectCategory::CleanerProduction,
    ProjectCategory::DigitalTransformation,
    ProjectCategory::TradeFair,
    ProjectCategory::BrandBuilding,
];
/// Statuses of generated projects, and whether money was allocated to them.
pub(super) const STATUSES: &[(ProjectStatus, bool)] = &[
    (ProjectStatus::Draft, false),
    (ProjectStatus::Submitted, false),
    (ProjectStatus::Appraised, true),
    (ProjectStatus::Approved, true),
    (ProjectStatus::InProgress, true),
    (ProjectStatus::Accepted, true),
    (ProjectStatus::Settled, true),
    (ProjectStatus::Stopped, true),
    (ProjectStatus::Rejected, false),
    (ProjectStatus::Cancelled, false),
];
pub(super) const YEARS: [i32; 3] = [2024, 2025, 2026];

pub(super) fn pick<'a, T>(rng: &mut StdRng, xs: &'a [T]) -> &'a T {
    &xs[rng.random_range(0..xs.len())]
}

/// Optional fields are empty about one time in twenty.
pub(super) fn maybe<T>(rng: &mut StdRng, v: impl FnOnce(&mut StdRng) -> T) -> Option<T> {
    if rng.random_ratio(1, 20) {
        None
    } else {
        Some(v(rng))
    }
}

/// An index skewed towards the start: a few communes hold many establishments.
pub(super) fn skewed(rng: &mut StdRng, n: usize) -> usize {
    let u: f64 = rng.random();
    ((u * u * u) * n as f64) as usize % n
}
