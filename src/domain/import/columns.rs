//! The columns of the import templates (keys, Vietnamese and English headers, notes) and the
//! Vietnamese labels accepted for enumerations.

use super::ImportEntity;
use crate::{
    enums::{EstablishmentKind, OcopProductGroup, Sector, SelectionProductGroup},
    text::fold,
};

/// A column of a template: its key (the GraphQL field name), Vietnamese and English headers,
/// and a note for the template's notes sheet.
pub struct Column {
    /// The field name (`taxCode`).
    pub key: &'static str,
    /// Vietnamese header.
    pub vi: &'static str,
    /// English header.
    pub en: &'static str,
    /// Required on new records.
    pub required: bool,
    /// Note (Vietnamese) for the notes sheet.
    pub note: &'static str,
}

const fn col(
    key: &'static str,
    vi: &'static str,
    en: &'static str,
    required: bool,
    note: &'static str,
) -> Column {
    Column {
        key,
        vi,
        en,
        required,
        note,
    }
}

/// The columns of the establishments template.
pub const ESTABLISHMENT_COLUMNS: &[Column] = &[
    col(
        "name",
        "Tên cơ sở",
        "Name",
        true,
        "Bắt buộc; tối đa 300 ký tự.",
    ),
    col(
        "kind",
        "Loại hình",
        "Kind",
        true,
        "Bắt buộc; một giá trị trong bảng Loại hình.",
    ),
    col(
        "taxCode",
        "Mã số thuế",
        "Tax code",
        false,
        "10 chữ số, hoặc 10 chữ số-3 chữ số cho chi nhánh; dùng để nhận ra cơ sở đã có.",
    ),
    col(
        "communeCode",
        "Mã xã",
        "Commune code",
        false,
        "Mã xã/phường sau 1/7/2025 (5 chữ số). Có thể bỏ trống nếu điền địa chỉ cũ hoặc mã xã cũ.",
    ),
    col(
        "legacyCommuneCode",
        "Mã xã cũ",
        "Old commune code",
        false,
        "Mã xã/phường/thị trấn trước 1/7/2025; được quy đổi sang xã mới.",
    ),
    col(
        "legacyAddress",
        "Địa chỉ cũ",
        "Old address",
        false,
        "Xã, huyện, tỉnh trước 1/7/2025, ví dụ: Xã Mai Thủy, huyện Lệ Thủy, tỉnh Quảng Bình.",
    ),
    col(
        "address",
        "Địa chỉ",
        "Address",
        false,
        "Số nhà, thôn, đường.",
    ),
    col(
        "sector",
        "Ngành nghề",
        "Sector",
        true,
        "Bắt buộc; một giá trị trong bảng Ngành nghề.",
    ),
    col(
        "inCraftVillage",
        "Thuộc làng nghề",
        "In craft village",
        false,
        "Có / Không.",
    ),
    col(
        "mainProducts",
        "Sản phẩm chính",
        "Main products",
        false,
        "Tối đa 1000 ký tự.",
    ),
    col(
        "employeeCount",
        "Số lao động",
        "Employees",
        false,
        "Số nguyên không âm.",
    ),
    col(
        "foundedYear",
        "Năm thành lập",
        "Founded year",
        false,
        "Năm, ví dụ 2015.",
    ),
    col(
        "representative",
        "Người đại diện",
        "Representative",
        false,
        "",
    ),
    col("phone", "Điện thoại", "Phone", false, ""),
    col("email", "Email", "E-mail", false, ""),
    col(
        "latitude",
        "Vĩ độ",
        "Latitude",
        false,
        "Số thập phân, dấu chấm.",
    ),
    col(
        "longitude",
        "Kinh độ",
        "Longitude",
        false,
        "Số thập phân, dấu chấm.",
    ),
    col(
        "womenOwned",
        "Chủ là nữ",
        "Women-owned",
        false,
        "Có / Không.",
    ),
    col(
        "ethnicMinorityOwned",
        "Chủ là người dân tộc thiểu số",
        "Ethnic-minority-owned",
        false,
        "Có / Không.",
    ),
];

/// The columns of the products template.
pub const PRODUCT_COLUMNS: &[Column] = &[
    col(
        "establishmentTaxCode",
        "Mã số thuế cơ sở",
        "Establishment tax code",
        false,
        "Cơ sở sản xuất: theo mã số thuế, hoặc theo tên cơ sở và mã xã.",
    ),
    col(
        "establishmentName",
        "Tên cơ sở",
        "Establishment name",
        false,
        "Dùng khi cơ sở không có mã số thuế.",
    ),
    col(
        "communeCode",
        "Mã xã",
        "Commune code",
        false,
        "Mã xã của cơ sở (dùng cùng tên cơ sở).",
    ),
    col(
        "name",
        "Tên sản phẩm",
        "Product name",
        true,
        "Bắt buộc; một cơ sở không có hai sản phẩm trùng tên.",
    ),
    col("description", "Mô tả", "Description", false, ""),
    col("brand", "Nhãn hiệu", "Brand", false, ""),
    col(
        "selectionGroup",
        "Nhóm sản phẩm bình chọn",
        "Selection group",
        false,
        "Một giá trị trong bảng Nhóm bình chọn.",
    ),
    col(
        "ocopGroup",
        "Nhóm OCOP",
        "OCOP group",
        false,
        "Một giá trị trong bảng Nhóm OCOP.",
    ),
];

/// The columns of an entity's template.
pub fn columns(entity: ImportEntity) -> &'static [Column] {
    match entity {
        ImportEntity::Establishments => ESTABLISHMENT_COLUMNS,
        ImportEntity::Products => PRODUCT_COLUMNS,
    }
}

/// Vietnamese labels of establishment kinds (accepted in cells and listed in the template).
pub const KIND_LABELS: &[(EstablishmentKind, &str)] = &[
    (EstablishmentKind::Sme, "Doanh nghiệp nhỏ và vừa"),
    (EstablishmentKind::LargeEnterprise, "Doanh nghiệp lớn"),
    (EstablishmentKind::Cooperative, "Hợp tác xã"),
    (EstablishmentKind::CooperativeUnion, "Liên hiệp hợp tác xã"),
    (EstablishmentKind::CooperativeGroup, "Tổ hợp tác"),
    (EstablishmentKind::BusinessHousehold, "Hộ kinh doanh"),
    (EstablishmentKind::Artisan, "Nghệ nhân"),
];

/// Vietnamese labels of sectors.
pub const SECTOR_LABELS: &[(Sector, &str)] = &[
    (
        Sector::AgroForestryFisheryFood,
        "Chế biến nông, lâm, thủy sản và thực phẩm",
    ),
    (Sector::ConsumerGoods, "Hàng tiêu dùng"),
    (Sector::Handicraft, "Thủ công mỹ nghệ"),
    (Sector::WoodFurniture, "Gỗ và đồ gỗ"),
    (Sector::TextileGarment, "Dệt may"),
    (Sector::MechanicalElectrical, "Cơ khí, điện"),
    (Sector::BuildingMaterials, "Vật liệu xây dựng"),
    (
        Sector::AgriculturalChemicals,
        "Hóa chất phục vụ nông nghiệp",
    ),
    (Sector::Herbal, "Dược liệu"),
    (Sector::Other, "Khác"),
];

/// Vietnamese labels of selection product groups.
pub const SELECTION_GROUP_LABELS: &[(SelectionProductGroup, &str)] = &[
    (SelectionProductGroup::Handicraft, "Thủ công mỹ nghệ"),
    (
        SelectionProductGroup::ProcessedAgroForestryFisheryFood,
        "Chế biến nông, lâm, thủy sản và thực phẩm",
    ),
    (
        SelectionProductGroup::MachineryEquipmentTools,
        "Máy móc, thiết bị, dụng cụ",
    ),
    (SelectionProductGroup::Other, "Khác"),
];

/// Vietnamese labels of OCOP product groups.
pub const OCOP_GROUP_LABELS: &[(OcopProductGroup, &str)] = &[
    (OcopProductGroup::Food, "Thực phẩm"),
    (OcopProductGroup::Beverage, "Đồ uống"),
    (OcopProductGroup::Herbal, "Thảo dược"),
    (
        OcopProductGroup::HandicraftTextile,
        "Thủ công mỹ nghệ, vải và may mặc",
    ),
    (OcopProductGroup::Ornamental, "Sinh vật cảnh"),
    (
        OcopProductGroup::RuralTourismService,
        "Dịch vụ du lịch cộng đồng",
    ),
];

/// A header or label folded for matching: no case, no diacritics, letters and digits only.
pub(super) fn key_of(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}
