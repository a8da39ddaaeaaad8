//! GraphQL mirrors of the domain enumerations (`remote` generates the conversions).

use async_graphql::Enum;

/// The role of a user.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::Role")]
pub enum Role {
    /// Economic officer of a commune or ward (cán bộ kinh tế xã/phường).
    Commune,
    /// Officer of a provincial Department of Industry and Trade (Sở Công Thương).
    Province,
    /// Officer of the Ministry of Industry and Trade or the central OCOP council.
    National,
}

/// Region of the regional selection.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::Region")]
pub enum Region {
    /// The North (miền Bắc).
    North,
    /// The Centre and Central Highlands (miền Trung – Tây Nguyên).
    CentralHighlands,
    /// The South (miền Nam).
    South,
}

/// Kind of provincial unit.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::ProvinceKind")]
pub enum ProvinceKind {
    /// A province (tỉnh).
    Province,
    /// A centrally-run city (thành phố trực thuộc trung ương).
    CentralCity,
}

/// Kind of commune-level unit.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::CommuneKind")]
pub enum CommuneKind {
    /// A commune (xã).
    Commune,
    /// A ward (phường).
    Ward,
    /// A special zone (đặc khu).
    SpecialZone,
}

/// Legal form of an establishment.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::EstablishmentKind")]
pub enum EstablishmentKind {
    /// Small or medium enterprise (doanh nghiệp nhỏ và vừa).
    Sme,
    /// Large enterprise (doanh nghiệp lớn; not eligible for support).
    LargeEnterprise,
    /// Cooperative (hợp tác xã).
    Cooperative,
    /// Union of cooperatives (liên hiệp hợp tác xã).
    CooperativeUnion,
    /// Cooperative group (tổ hợp tác).
    CooperativeGroup,
    /// Business household (hộ kinh doanh).
    BusinessHousehold,
    /// Artisan (nghệ nhân).
    Artisan,
}

/// Sector of an establishment.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::Sector")]
pub enum Sector {
    /// Agro-forestry-fishery processing and food.
    AgroForestryFisheryFood,
    /// Consumer goods.
    ConsumerGoods,
    /// Handicrafts.
    Handicraft,
    /// Wood and furniture.
    WoodFurniture,
    /// Textiles and garments.
    TextileGarment,
    /// Mechanical and electrical.
    MechanicalElectrical,
    /// Building materials.
    BuildingMaterials,
    /// Chemicals for agriculture.
    AgriculturalChemicals,
    /// Herbal products.
    Herbal,
    /// Other.
    Other,
}

/// Status of an establishment.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::EstablishmentStatus")]
pub enum EstablishmentStatus {
    /// Operating.
    Active,
    /// Temporarily suspended.
    Suspended,
    /// Closed.
    Closed,
}

/// Product groups of the selection of outstanding rural industrial products.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::SelectionProductGroup")]
pub enum SelectionProductGroup {
    /// Handicrafts (thủ công mỹ nghệ).
    Handicraft,
    /// Processed agro-forestry-fishery food (chế biến nông, lâm, thủy sản).
    ProcessedAgroForestryFisheryFood,
    /// Machinery, equipment and tools (máy móc, thiết bị, dụng cụ).
    MachineryEquipmentTools,
    /// Other.
    Other,
}

/// OCOP product groups.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::OcopProductGroup")]
pub enum OcopProductGroup {
    /// Food (thực phẩm).
    Food,
    /// Beverages (đồ uống).
    Beverage,
    /// Herbal products (thảo dược).
    Herbal,
    /// Handicrafts and textiles (thủ công mỹ nghệ, vải, may mặc).
    HandicraftTextile,
    /// Ornamentals (sinh vật cảnh).
    Ornamental,
    /// Rural tourism services (dịch vụ du lịch cộng đồng).
    RuralTourismService,
}
