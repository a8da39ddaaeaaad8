//! Evidence documents: `uploadDocument`, `deleteDocument` and the `documents` of
//! establishments, projects and OCOP evaluations. The file itself is served by
//! `GET /documents/{id}` (see `http::documents`).

use async_graphql::{Context, Enum, ID, Object, Upload};
use chrono::{DateTime, Utc};

use crate::kind::DocumentId;
use crate::{
    db::entities::document,
    domain::{self, document::OwnerKind},
    error::AppError,
    graphql::{
        context::ContextExt,
        ids,
        import::read_upload,
        user::{User, user_ref},
    },
};

/// What an evidence document is.
#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "crate::enums::DocumentKind")]
pub enum DocumentKind {
    /// A decision (quyết định).
    Decision,
    /// An acceptance record (biên bản nghiệm thu).
    AcceptanceRecord,
    /// A contract (hợp đồng).
    Contract,
    /// An invoice (hóa đơn).
    Invoice,
    /// A photo.
    Photo,
    /// A scanned certificate.
    CertificateScan,
    /// A product dossier (hồ sơ sản phẩm).
    ProductDossier,
    /// Anything else.
    Other,
}

/// A file attached to an establishment, a project or an OCOP evaluation.
pub struct Document(pub document::Model);

#[Object]
impl Document {
    /// Opaque id.
    pub async fn id(&self) -> ID {
        ids::encode(domain::document::ENTITY, self.0.id)
    }
    /// What the document is.
    async fn kind(&self) -> async_graphql::Result<DocumentKind> {
        Ok(crate::enums::DocumentKind::from_db(&self.0.kind)?.into())
    }
    /// The file's name (without any folder; with the extension of its real type).
    async fn file_name(&self) -> &str {
        &self.0.file_name
    }
    /// The MIME type judged from the content.
    async fn content_type(&self) -> &str {
        &self.0.content_type
    }
    /// Size in bytes.
    async fn size_bytes(&self) -> i32 {
        i32::try_from(self.0.size_bytes).unwrap_or(i32::MAX)
    }
    /// Lower-case hex SHA-256 of the content.
    async fn sha256(&self) -> &str {
        &self.0.sha256
    }
    /// When it was uploaded.
    async fn uploaded_at(&self) -> DateTime<Utc> {
        self.0.uploaded_at
    }
    /// Who uploaded it (null when the account is not visible to the caller).
    async fn uploaded_by(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        match self.0.uploaded_by {
            Some(id) => user_ref(ctx, id).await,
            None => Ok(None),
        }
    }
    /// A path under this server that returns the file to a caller allowed to see its owner.
    async fn download_url(&self) -> String {
        format!(
            "/documents/{}",
            ids::encode(domain::document::ENTITY, self.0.id).as_str()
        )
    }
}

/// The documents of a record the caller already sees.
pub async fn of_owner(
    ctx: &Context<'_>,
    kind: OwnerKind,
    owner_id: i64,
) -> async_graphql::Result<Vec<Document>> {
    Ok(domain::document::of_owner(ctx.db()?, kind, owner_id)
        .await?
        .into_iter()
        .map(Document)
        .collect())
}

/// Uploading and deleting documents.
#[derive(Default)]
pub struct DocumentMutation;

#[Object]
impl DocumentMutation {
    /// Attach a file to an establishment, project or OCOP evaluation the caller may edit.
    /// At most 20 MiB; PDF, JPEG, PNG, WebP, DOCX or XLSX, judged by the file's content.
    async fn upload_document(
        &self,
        ctx: &Context<'_>,
        owner_id: ID,
        kind: DocumentKind,
        file: Upload,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<Document> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let not_found = || AppError::not_found("record", "hồ sơ");
        let (entity, id) = ids::parse(&owner_id).ok_or_else(not_found)?;
        let owner_kind = OwnerKind::parse(entity).ok_or_else(not_found)?;
        let (file_name, bytes) = read_upload(ctx, &file, domain::document::MAX_BYTES)?;
        let state = ctx.state()?;
        let doc = domain::document::upload(
            &state.db,
            &state.storage,
            dctx,
            domain::document::NewDocument {
                owner_kind,
                owner_id: id,
                kind: kind.into(),
                file_name,
                bytes,
            },
            idempotency_key,
        )
        .await?;
        Ok(Document(doc))
    }

    /// Remove a document from a record the caller may edit. The stored bytes stay while
    /// another document refers to the same content.
    async fn delete_document(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<bool> {
        let dctx = ctx.dctx()?;
        dctx.actor()?;
        let id = ids::require::<DocumentId>(&id, "document", "tài liệu")?;
        let state = ctx.state()?;
        Ok(domain::document::delete(&state.db, &state.storage, dctx, id).await?)
    }
}
