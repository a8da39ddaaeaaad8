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

/// Level of a funding source.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::FundingLevel")]
pub enum FundingLevel {
    /// The national industrial-promotion programme.
    National,
    /// A province's local programme.
    Local,
    /// Other sources (ODA, sponsors).
    Other,
}

/// Programme a project belongs to.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::ProgramLevel")]
pub enum ProgramLevel {
    /// National programme, approved by the Ministry.
    National,
    /// Local programme, approved by the province.
    Local,
}

/// Kind of project.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::ProjectKind")]
pub enum ProjectKind {
    /// Beneficiaries fixed at proposal.
    Individual,
    /// Đề án nhóm: beneficiaries chosen later by the province.
    Group,
    /// Đề án điểm: several activity contents over more than one year.
    Key,
}

/// Activity content of a project (Decree 45/2012/NĐ-CP as amended by 235/2025/NĐ-CP).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::ProjectCategory")]
pub enum ProjectCategory {
    /// Vocational training.
    VocationalTraining,
    /// Capacity building.
    CapacityBuilding,
    /// Technical demonstration models.
    TechnicalDemonstration,
    /// Technology transfer.
    TechnologyTransfer,
    /// Advanced machinery.
    AdvancedMachinery,
    /// Cleaner production.
    CleanerProduction,
    /// Sustainable production.
    SustainableProduction,
    /// Digital transformation.
    DigitalTransformation,
    /// Outstanding product development.
    OutstandingProductDevelopment,
    /// Trade fairs.
    TradeFair,
    /// Brand building.
    BrandBuilding,
    /// Showrooms.
    Showroom,
    /// Consultancy.
    Consultancy,
    /// Information dissemination.
    InformationDissemination,
    /// Industrial clusters.
    IndustrialCluster,
    /// Pollution treatment.
    PollutionTreatment,
    /// International cooperation.
    InternationalCooperation,
    /// Artisan support.
    ArtisanSupport,
    /// Programme management.
    ProgramManagement,
}

/// Status of a project.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::ProjectStatus")]
pub enum ProjectStatus {
    /// Being drafted.
    Draft,
    /// Submitted for appraisal.
    Submitted,
    /// Appraised.
    Appraised,
    /// Approved and fully funded.
    Approved,
    /// Being carried out.
    InProgress,
    /// Accepted (nghiệm thu).
    Accepted,
    /// Settled (quyết toán).
    Settled,
    /// Rejected.
    Rejected,
    /// Stopped.
    Stopped,
    /// Cancelled.
    Cancelled,
}

/// An action on a project's lifecycle.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::ProjectAction")]
pub enum ProjectAction {
    /// DRAFT → SUBMITTED, by the proposing commune or province.
    Submit,
    /// SUBMITTED → DRAFT, by the province.
    Return,
    /// SUBMITTED → APPRAISED, by the province.
    Appraise,
    /// APPRAISED → APPROVED, by the approving level; needs full funding.
    Approve,
    /// SUBMITTED/APPRAISED → REJECTED, by the approving level.
    Reject,
    /// APPROVED → IN_PROGRESS, by the province.
    Start,
    /// IN_PROGRESS → ACCEPTED (nghiệm thu), by the approving level; records outcomes.
    Accept,
    /// ACCEPTED → SETTLED (quyết toán), by the approving level; unspent money is released.
    Settle,
    /// APPROVED/IN_PROGRESS → STOPPED, by the approving level; undisbursed money is released.
    Stop,
    /// DRAFT/SUBMITTED → CANCELLED, by the proposer's area or above.
    Cancel,
}

/// Level of a selection round.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::SelectionLevel")]
pub enum SelectionLevel {
    /// Organised by a commune (from 1 July 2025, in place of the district).
    Commune,
    /// Organised by a province.
    Provincial,
    /// Organised nationally for one region.
    Regional,
    /// Organised nationally.
    National,
}

/// Status of a selection round.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::SelectionRoundStatus")]
pub enum SelectionRoundStatus {
    /// Taking nominations.
    Open,
    /// Judges are scoring.
    Scoring,
    /// Results computed, certificates issued; nothing changes any more.
    Closed,
}

/// Result of a nomination.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::NominationResult")]
pub enum NominationResult {
    /// Not decided yet.
    Pending,
    /// Recognised: a mean score of 70 or more.
    Recognized,
    /// Not recognised.
    NotRecognized,
}

/// Type of an OCOP application.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::OcopApplicationType")]
pub enum OcopApplicationType {
    /// First rating.
    New,
    /// More stars for a rated product.
    Upgrade,
    /// Re-evaluation when a certificate ends.
    ReEvaluation,
}

/// Status of an OCOP evaluation.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::OcopEvaluationStatus")]
pub enum OcopEvaluationStatus {
    /// Opened, awaiting the commune's screening.
    Submitted,
    /// Returned by the commune; it may be screened again.
    Returned,
    /// Forwarded to the provincial council.
    Screened,
    /// The provincial council is scoring.
    ProvinceScoring,
    /// Potential 5★: the central council is scoring.
    CentralScoring,
    /// The centre did not recognise 5★; the province may certify 4★.
    CentralNotRecognized,
    /// Certified.
    Certified,
    /// Not certified.
    NotCertified,
    /// Withdrawn.
    Withdrawn,
}

/// Level that issued an OCOP certificate.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::OcopIssuingLevel")]
pub enum OcopIssuingLevel {
    /// The province (3★, 4★).
    Province,
    /// The central level (5★).
    National,
}

/// Status of a certificate (derived from today's date).
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::CertificateStatus")]
pub enum CertificateStatus {
    /// In force.
    Valid,
    /// Past its validity.
    Expired,
    /// Revoked by decision.
    Revoked,
    /// Replaced by a newer certificate of the same product.
    Superseded,
}
