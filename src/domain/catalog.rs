//! The public catalogue: certified OCOP products and recognised outstanding rural industrial
//! products, for anyone, without personal data.

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, sea_query::Query,
};

use crate::{
    db::entities::{nomination, ocop_certificate, product},
    domain::{
        page::search_condition,
        page::{self, Page, PageArgs},
        validate,
    },
    enums::NominationResult,
    error::{AppError, Msg, Result},
};

/// The condition of certificates valid today.
pub fn valid_condition() -> Condition {
    use ocop_certificate::Column as C;
    Condition::all()
        .add(C::RevokedAt.is_null())
        .add(C::Superseded.eq(false))
        .add(C::ValidUntil.gte(chrono::Utc::now().date_naive()))
}

/// Catalogue filters.
#[derive(Clone, Debug, Default)]
pub struct CatalogFilter {
    /// Text in the product's name, brand or description.
    pub search: Option<String>,
    /// Province.
    pub province_code: Option<String>,
    /// At least this many OCOP stars.
    pub min_stars: Option<i32>,
}

/// Products with a valid OCOP certificate (of at least `min_stars`).
pub fn certified_condition(min_stars: Option<i32>) -> Condition {
    let mut certs = Query::select();
    certs
        .column(ocop_certificate::Column::ProductId)
        .from(ocop_certificate::Entity)
        .cond_where(valid_condition());
    if let Some(s) = min_stars {
        certs.and_where(ocop_certificate::Column::Stars.gte(s));
    }
    Condition::all().add(product::Column::Id.in_subquery(certs.to_owned()))
}

/// A page of the public catalogue.
#[tracing::instrument(name = "catalog.list", skip_all)]
pub async fn list(
    db: &impl ConnectionTrait,
    filter: CatalogFilter,
    args: &PageArgs,
) -> Result<Page<product::Entity>> {
    use product::Column as C;
    let today = chrono::Utc::now().date_naive();
    let recognized = Query::select()
        .column(nomination::Column::ProductId)
        .from(nomination::Entity)
        .and_where(nomination::Column::Result.eq(NominationResult::Recognized))
        .and_where(nomination::Column::ValidUntil.gte(today))
        .to_owned();
    let mut cond = match filter.min_stars {
        Some(s) => {
            if !(1..=5).contains(&s) {
                return Err(AppError::bad_input(
                    "minStars",
                    Msg::new("Stars run from 1 to 5.", "Số sao từ 1 đến 5."),
                ));
            }
            certified_condition(Some(s))
        }
        None => Condition::any()
            .add(certified_condition(None))
            .add(C::Id.in_subquery(recognized)),
    };
    if let Some(p) = filter.province_code {
        cond = Condition::all().add(cond).add(C::ProvinceCode.eq(p));
    }
    if let Some(term) = filter
        .search
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        validate::required_text("search", term, 200)?;
        cond = Condition::all()
            .add(cond)
            .add(search_condition(C::SearchText, term));
    }
    page::fetch(
        db,
        product::Entity::find().filter(cond),
        C::Id,
        C::UpdatedAt,
        false,
        args,
    )
    .await
}
