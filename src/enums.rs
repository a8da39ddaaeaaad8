//! Domain enumerations, stored as text, with their wire names.
//!
//! Each one is a sea-orm active enum: the entities hold the enum, sea-orm reads and writes its
//! stored name (a `String` column, as the migrations created it; no database enum type), and
//! serde writes the same name, so the audit trail and the exports keep the stored spelling.
//! The GraphQL layer mirrors each one with `#[graphql(remote = …)]`, so the names are written
//! once here and converted without hand-written matches.

use sea_orm::sea_query::StringLen;

/// Declares a unit enum stored in the database as its name: a sea-orm active enum over a
/// text column, serialised as the same name, with `as_str`, `parse` and `ALL`.
macro_rules! text_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $variant:ident => $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
            sea_orm::EnumIter, sea_orm::DeriveActiveEnum,
        )]
        #[sea_orm(rs_type = "String", db_type = "String(StringLen::None)")]
        pub enum $name {
            $($(#[$vm])* #[sea_orm(string_value = $s)] #[serde(rename = $s)] $variant),+
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire name (for raw SQL and text formats).
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s),+ }
            }

            /// Parses the stored name.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$variant),)+ _ => None }
            }

            /// Parses a stored name, treating an unknown one as corrupt data.
            pub fn from_db(s: &str) -> crate::error::Result<Self> {
                Self::parse(s).ok_or_else(|| {
                    crate::error::AppError::internal(format!(
                        "unknown {} value {:?} in the database", stringify!($name), s
                    ))
                })
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// The role of a user (the README's "Roles and areas").
    Role {
        /// Economic officer of a commune or ward.
        Commune => "COMMUNE",
        /// Officer of a provincial Department of Industry and Trade.
        Province => "PROVINCE",
        /// Officer of the Ministry.
        National => "NATIONAL",
    }
);

text_enum!(
    /// Region of the regional selection (Circular 26/2014/TT-BCT).
    Region {
        /// Miền Bắc.
        North => "NORTH",
        /// Miền Trung – Tây Nguyên.
        CentralHighlands => "CENTRAL_HIGHLANDS",
        /// Miền Nam.
        South => "SOUTH",
    }
);

text_enum!(
    /// Kind of provincial unit.
    ProvinceKind {
        /// Tỉnh.
        Province => "PROVINCE",
        /// Thành phố trực thuộc trung ương.
        CentralCity => "CENTRAL_CITY",
    }
);

text_enum!(
    /// Kind of commune-level unit.
    CommuneKind {
        /// Xã.
        Commune => "COMMUNE",
        /// Phường.
        Ward => "WARD",
        /// Đặc khu.
        SpecialZone => "SPECIAL_ZONE",
    }
);

text_enum!(
    /// Legal form of an establishment.
    EstablishmentKind {
        /// Small or medium enterprise.
        Sme => "SME",
        /// Large enterprise (not eligible for support).
        LargeEnterprise => "LARGE_ENTERPRISE",
        /// Hợp tác xã.
        Cooperative => "COOPERATIVE",
        /// Liên hiệp hợp tác xã.
        CooperativeUnion => "COOPERATIVE_UNION",
        /// Tổ hợp tác.
        CooperativeGroup => "COOPERATIVE_GROUP",
        /// Hộ kinh doanh.
        BusinessHousehold => "BUSINESS_HOUSEHOLD",
        /// Nghệ nhân.
        Artisan => "ARTISAN",
    }
);

text_enum!(
    /// Sector of an establishment.
    Sector {
        /// Agro-forestry-fishery processing and food.
        AgroForestryFisheryFood => "AGRO_FORESTRY_FISHERY_FOOD",
        /// Consumer goods.
        ConsumerGoods => "CONSUMER_GOODS",
        /// Handicrafts.
        Handicraft => "HANDICRAFT",
        /// Wood and furniture.
        WoodFurniture => "WOOD_FURNITURE",
        /// Textiles and garments.
        TextileGarment => "TEXTILE_GARMENT",
        /// Mechanical and electrical.
        MechanicalElectrical => "MECHANICAL_ELECTRICAL",
        /// Building materials.
        BuildingMaterials => "BUILDING_MATERIALS",
        /// Chemicals for agriculture.
        AgriculturalChemicals => "AGRICULTURAL_CHEMICALS",
        /// Herbal products.
        Herbal => "HERBAL",
        /// Other.
        Other => "OTHER",
    }
);

text_enum!(
    /// Status of an establishment; establishments close, they are never deleted.
    EstablishmentStatus {
        /// Operating.
        Active => "ACTIVE",
        /// Temporarily suspended.
        Suspended => "SUSPENDED",
        /// Closed.
        Closed => "CLOSED",
    }
);

text_enum!(
    /// The four product groups of the selection (Circular 26/2014/TT-BCT).
    SelectionProductGroup {
        /// Thủ công mỹ nghệ.
        Handicraft => "HANDICRAFT",
        /// Chế biến nông, lâm, thủy sản.
        ProcessedAgroForestryFisheryFood => "PROCESSED_AGRO_FORESTRY_FISHERY_FOOD",
        /// Máy móc, thiết bị, dụng cụ.
        MachineryEquipmentTools => "MACHINERY_EQUIPMENT_TOOLS",
        /// Khác.
        Other => "OTHER",
    }
);

text_enum!(
    /// The six OCOP product groups (Decision 148/QĐ-TTg).
    OcopProductGroup {
        /// Thực phẩm.
        Food => "FOOD",
        /// Đồ uống.
        Beverage => "BEVERAGE",
        /// Thảo dược.
        Herbal => "HERBAL",
        /// Vải, may mặc, thủ công mỹ nghệ.
        HandicraftTextile => "HANDICRAFT_TEXTILE",
        /// Sinh vật cảnh.
        Ornamental => "ORNAMENTAL",
        /// Dịch vụ du lịch cộng đồng.
        RuralTourismService => "RURAL_TOURISM_SERVICE",
    }
);

text_enum!(
    /// Level of a funding source.
    FundingLevel {
        /// The national industrial-promotion programme.
        National => "NATIONAL",
        /// A province's local programme.
        Local => "LOCAL",
        /// Other sources (ODA, sponsors).
        Other => "OTHER",
    }
);

text_enum!(
    /// Programme a project belongs to.
    ProgramLevel {
        /// National programme, approved by the Ministry.
        National => "NATIONAL",
        /// Local programme, approved by the province.
        Local => "LOCAL",
    }
);

text_enum!(
    /// Kind of project (Decree 45/2012/NĐ-CP as amended by 235/2025/NĐ-CP).
    ProjectKind {
        /// Beneficiaries fixed at proposal.
        Individual => "INDIVIDUAL",
        /// Đề án nhóm: registered without fixed beneficiaries; the province chooses them later.
        Group => "GROUP",
        /// Đề án điểm: two or more activity contents over more than one year.
        Key => "KEY",
    }
);

text_enum!(
    /// Activity content of a project (Decree 45/2012/NĐ-CP Art. 4 as amended).
    ProjectCategory {
        /// Vocational training.
        VocationalTraining => "VOCATIONAL_TRAINING",
        /// Capacity building.
        CapacityBuilding => "CAPACITY_BUILDING",
        /// Technical demonstration models.
        TechnicalDemonstration => "TECHNICAL_DEMONSTRATION",
        /// Technology transfer.
        TechnologyTransfer => "TECHNOLOGY_TRANSFER",
        /// Advanced machinery.
        AdvancedMachinery => "ADVANCED_MACHINERY",
        /// Cleaner production.
        CleanerProduction => "CLEANER_PRODUCTION",
        /// Sustainable production.
        SustainableProduction => "SUSTAINABLE_PRODUCTION",
        /// Digital transformation.
        DigitalTransformation => "DIGITAL_TRANSFORMATION",
        /// Outstanding product development.
        OutstandingProductDevelopment => "OUTSTANDING_PRODUCT_DEVELOPMENT",
        /// Trade fairs.
        TradeFair => "TRADE_FAIR",
        /// Brand building.
        BrandBuilding => "BRAND_BUILDING",
        /// Showrooms.
        Showroom => "SHOWROOM",
        /// Consultancy.
        Consultancy => "CONSULTANCY",
        /// Information dissemination.
        InformationDissemination => "INFORMATION_DISSEMINATION",
        /// Industrial clusters.
        IndustrialCluster => "INDUSTRIAL_CLUSTER",
        /// Pollution treatment.
        PollutionTreatment => "POLLUTION_TREATMENT",
        /// International cooperation.
        InternationalCooperation => "INTERNATIONAL_COOPERATION",
        /// Artisan support.
        ArtisanSupport => "ARTISAN_SUPPORT",
        /// Programme management.
        ProgramManagement => "PROGRAM_MANAGEMENT",
    }
);

text_enum!(
    /// What a support cap is counted per (Circular 28/2018/TT-BTC as amended).
    CapUnit {
        /// Per supported establishment.
        Establishment => "ESTABLISHMENT",
        /// Per demonstration model.
        Model => "MODEL",
    }
);

text_enum!(
    /// Status of a project.
    ProjectStatus {
        /// Being drafted.
        Draft => "DRAFT",
        /// Submitted for appraisal.
        Submitted => "SUBMITTED",
        /// Appraised by the province.
        Appraised => "APPRAISED",
        /// Approved and funded.
        Approved => "APPROVED",
        /// Being carried out.
        InProgress => "IN_PROGRESS",
        /// Accepted (nghiệm thu).
        Accepted => "ACCEPTED",
        /// Settled (quyết toán).
        Settled => "SETTLED",
        /// Rejected.
        Rejected => "REJECTED",
        /// Stopped.
        Stopped => "STOPPED",
        /// Cancelled.
        Cancelled => "CANCELLED",
    }
);

text_enum!(
    /// An action on a project's lifecycle.
    ProjectAction {
        /// Submit for appraisal.
        Submit => "SUBMIT",
        /// Return to the proposer.
        Return => "RETURN",
        /// Appraise.
        Appraise => "APPRAISE",
        /// Approve.
        Approve => "APPROVE",
        /// Reject.
        Reject => "REJECT",
        /// Start.
        Start => "START",
        /// Accept (nghiệm thu).
        Accept => "ACCEPT",
        /// Settle (quyết toán).
        Settle => "SETTLE",
        /// Stop.
        Stop => "STOP",
        /// Cancel.
        Cancel => "CANCEL",
    }
);

text_enum!(
    /// Level of a selection round (Circular 26/2014/TT-BCT as amended by 38/2025/TT-BCT).
    SelectionLevel {
        /// Organised by a commune.
        Commune => "COMMUNE",
        /// Organised by a province.
        Provincial => "PROVINCIAL",
        /// Organised nationally per region.
        Regional => "REGIONAL",
        /// Organised nationally.
        National => "NATIONAL",
    }
);

text_enum!(
    /// Status of a selection round.
    SelectionRoundStatus {
        /// Taking nominations.
        Open => "OPEN",
        /// Judges are scoring.
        Scoring => "SCORING",
        /// Results computed, certificates issued.
        Closed => "CLOSED",
    }
);

text_enum!(
    /// Result of a nomination.
    NominationResult {
        /// Not decided yet.
        Pending => "PENDING",
        /// Recognised as an outstanding rural industrial product.
        Recognized => "RECOGNIZED",
        /// Not recognised.
        NotRecognized => "NOT_RECOGNIZED",
    }
);

text_enum!(
    /// Type of an OCOP application.
    OcopApplicationType {
        /// A product rated for the first time.
        New => "NEW",
        /// A rated product applying for more stars.
        Upgrade => "UPGRADE",
        /// Re-evaluation at the end of a certificate's validity.
        ReEvaluation => "RE_EVALUATION",
    }
);

text_enum!(
    /// Status of an OCOP evaluation (Decision 148/QĐ-TTg as amended by 1489/QĐ-TTg).
    OcopEvaluationStatus {
        /// Opened, awaiting the commune's screening.
        Submitted => "SUBMITTED",
        /// Returned by the commune to complete the dossier.
        Returned => "RETURNED",
        /// Forwarded by the commune to the provincial council.
        Screened => "SCREENED",
        /// The provincial council is scoring.
        ProvinceScoring => "PROVINCE_SCORING",
        /// Potential 5★: the central council is scoring.
        CentralScoring => "CENTRAL_SCORING",
        /// The central council did not recognise 5★; the province may certify 4★.
        CentralNotRecognized => "CENTRAL_NOT_RECOGNIZED",
        /// Certified (3★–5★).
        Certified => "CERTIFIED",
        /// Not certified.
        NotCertified => "NOT_CERTIFIED",
        /// Withdrawn by the applicant.
        Withdrawn => "WITHDRAWN",
    }
);

text_enum!(
    /// The council whose members' scores an OCOP score is: each council scores separately.
    OcopScoringStage {
        /// The provincial council.
        Province => "PROVINCE",
        /// The central council (potential 5★ products).
        Central => "CENTRAL",
    }
);

text_enum!(
    /// Level that issued an OCOP certificate.
    OcopIssuingLevel {
        /// The provincial People's Committee (3★, 4★).
        Province => "PROVINCE",
        /// The Prime Minister / central council (5★).
        National => "NATIONAL",
    }
);

text_enum!(
    /// Status of a certificate.
    CertificateStatus {
        /// In force.
        Valid => "VALID",
        /// Past its validity.
        Expired => "EXPIRED",
        /// Revoked by decision.
        Revoked => "REVOKED",
        /// Replaced by a newer certificate of the same product.
        Superseded => "SUPERSEDED",
    }
);

text_enum!(
    /// What an evidence document is.
    DocumentKind {
        /// A decision (quyết định).
        Decision => "DECISION",
        /// An acceptance record (biên bản nghiệm thu).
        AcceptanceRecord => "ACCEPTANCE_RECORD",
        /// A contract (hợp đồng).
        Contract => "CONTRACT",
        /// An invoice (hóa đơn).
        Invoice => "INVOICE",
        /// A photo.
        Photo => "PHOTO",
        /// A scanned certificate.
        CertificateScan => "CERTIFICATE_SCAN",
        /// A product dossier (hồ sơ sản phẩm).
        ProductDossier => "PRODUCT_DOSSIER",
        /// Anything else.
        Other => "OTHER",
    }
);
