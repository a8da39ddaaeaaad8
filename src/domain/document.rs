//! Evidence documents: files attached to establishments, projects and OCOP evaluations.
//!
//! The type of a file is judged from its bytes ([`filetype::sniff`]); the bytes are stored
//! once per SHA-256 ([`crate::storage::Storage`]) with a `document_blob` row, and each
//! attachment is a `document` row. A caller sees and touches a document exactly when it may
//! see (to read) or edit (to upload and delete) its owner; anything else is `NOT_FOUND`.

use bytes::Bytes;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseBackend,
    DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    sea_query::OnConflict,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::kind::{DocumentId, EntityKind};
use crate::{
    db::entities::{document, document_blob},
    domain::{
        Ctx, audit, establishment,
        filetype::{self, FileType},
        idempotency, now, ocop, project, scope,
    },
    enums::DocumentKind,
    error::{AppError, Msg, Result},
    storage::Storage,
};

/// The entity type of documents (global ids, audit trail).
pub const ENTITY: EntityKind = EntityKind::Document;
/// The largest document.
pub const MAX_BYTES: usize = 20 * 1024 * 1024;
/// The idempotency operation of uploads.
const OPERATION: &str = "uploadDocument";
/// The longest file name kept.
const MAX_NAME_CHARS: usize = 200;

/// What a document is attached to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    /// An establishment.
    Establishment,
    /// A project.
    Project,
    /// An OCOP evaluation.
    OcopEvaluation,
}

impl OwnerKind {
    /// The owner's kind of record.
    pub fn entity(self) -> EntityKind {
        match self {
            Self::Establishment => establishment::ENTITY,
            Self::Project => project::ENTITY,
            Self::OcopEvaluation => ocop::EVALUATION,
        }
    }

    /// The owner kind of a kind of record, if documents may be attached to it.
    pub fn parse(entity: EntityKind) -> Option<Self> {
        [Self::Establishment, Self::Project, Self::OcopEvaluation]
            .into_iter()
            .find(|k| k.entity() == entity)
    }
}

/// The owner of a document, as the caller may see it.
#[derive(Clone, Debug)]
pub struct Owner {
    /// Its kind.
    pub kind: OwnerKind,
    /// Its row id.
    pub id: i64,
    /// Its province.
    pub province_code: String,
    /// Its commune, if it has one.
    pub commune_code: Option<String>,
}

fn not_found() -> AppError {
    AppError::not_found("document", "tài liệu")
}

fn owner_not_found() -> AppError {
    AppError::not_found("record", "hồ sơ")
}

/// The owner if the caller may see it.
pub async fn visible_owner(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    kind: OwnerKind,
    id: i64,
) -> Result<Option<Owner>> {
    Ok(match kind {
        OwnerKind::Establishment => establishment::get(db, ctx, id.into())
            .await?
            .map(|m| Owner {
                kind,
                id,
                province_code: m.province_code,
                commune_code: Some(m.commune_code),
            }),
        OwnerKind::Project => project::get(db, ctx, id.into()).await?.map(|m| Owner {
            kind,
            id,
            province_code: m.province_code,
            commune_code: m.commune_code,
        }),
        OwnerKind::OcopEvaluation => ocop::get(db, ctx, id.into()).await?.map(|m| Owner {
            kind,
            id,
            province_code: m.province_code,
            commune_code: Some(m.commune_code),
        }),
    })
}

fn subject<'a>(doc: &document::Model, owner: &'a Owner) -> audit::Subject<'a> {
    audit::Subject {
        entity_type: ENTITY,
        entity_id: doc.id,
        province_code: Some(&owner.province_code),
        commune_code: owner.commune_code.as_deref(),
    }
}

fn described(doc: &document::Model) -> serde_json::Value {
    json!({
        "ownerType": doc.owner_type,
        "ownerId": doc.owner_id,
        "kind": doc.kind,
        "fileName": doc.file_name,
        "contentType": doc.content_type,
        "sizeBytes": doc.size_bytes,
        "sha256": doc.sha256,
    })
}

/// The lower-case hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        let _ = write!(out, "{b:02x}");
    }
    out
}

fn too_large() -> AppError {
    AppError::bad_input(
        "file",
        Msg::new(
            "The file is larger than 20 MiB; scan at a lower resolution or split it.",
            "Tệp lớn hơn 20 MiB; hãy quét với độ phân giải thấp hơn hoặc tách tệp.",
        ),
    )
}

fn unsupported() -> AppError {
    AppError::bad_input(
        "file",
        Msg::new(
            "The file is not a PDF, JPEG, PNG, WebP, DOCX or XLSX document (judged by its content, not its name); it was refused.",
            "Tệp không phải PDF, JPEG, PNG, WebP, DOCX hay XLSX (xét theo nội dung, không theo tên tệp); tệp bị từ chối.",
        ),
    )
}

/// The file type of an upload, or `BAD_USER_INPUT` for anything but the accepted ones.
pub fn judge(bytes: &[u8]) -> Result<FileType> {
    if bytes.len() > MAX_BYTES {
        return Err(too_large());
    }
    if bytes.is_empty() {
        return Err(AppError::bad_input(
            "file",
            Msg::new("The file is empty.", "Tệp rỗng."),
        ));
    }
    filetype::sniff(bytes)?.ok_or_else(unsupported)
}

/// The name a file is kept under: the last component of what the client sent (never a path),
/// without control characters, at most 200 characters, with the extension of its real type
/// appended when the name says otherwise (`hoa-don.exe` holding a PDF becomes
/// `hoa-don.exe.pdf`).
pub fn clean_file_name(raw: &str, ft: FileType) -> String {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_NAME_CHARS)
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    if cleaned.is_empty() {
        return format!("document.{}", ft.extension());
    }
    let ext = cleaned
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let matches = ext == ft.extension() || (ft == FileType::Jpeg && ext == "jpeg");
    if matches {
        cleaned.to_owned()
    } else {
        format!("{cleaned}.{}", ft.extension())
    }
}

/// A `Content-Disposition` value for a stored name (RFC 6266): an ASCII `filename` with
/// everything but letters, digits and `.-_()` replaced, and the exact name as a
/// percent-encoded UTF-8 `filename*`. No quote, backslash or line break of the name reaches
/// the header.
pub fn content_disposition(name: &str) -> String {
    let ascii: String = deunicode::deunicode(name)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '(' | ')' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let ascii = ascii.trim();
    let ascii = if ascii.is_empty() { "document" } else { ascii };
    let mut encoded = String::new();
    for b in name.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                '!' | '#' | '$' | '&' | '+' | '-' | '.' | '^' | '_' | '`' | '|' | '~'
            )
        {
            encoded.push(c);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

/// Creates the blob row of `sha256` if missing and, on PostgreSQL, locks it until the
/// transaction ends (SQLite's write transaction already excludes other writers): an upload
/// and the deletion of the last reference to the same bytes never interleave.
async fn lock_blob(
    txn: &impl ConnectionTrait,
    sha256: &str,
    size: i64,
    content_type: &str,
) -> Result<()> {
    document_blob::Entity::insert(document_blob::ActiveModel {
        sha256: Set(sha256.to_owned()),
        size_bytes: Set(size),
        content_type: Set(content_type.to_owned()),
        created_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(document_blob::Column::Sha256)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(txn)
    .await?;
    lock_existing_blob(txn, sha256).await
}

async fn lock_existing_blob(txn: &impl ConnectionTrait, sha256: &str) -> Result<()> {
    if txn.get_database_backend() == DatabaseBackend::Postgres {
        document_blob::Entity::find_by_id(sha256.to_owned())
            .lock_exclusive()
            .one(txn)
            .await?;
    }
    Ok(())
}

/// What an upload carries.
pub struct NewDocument {
    /// The owner's kind.
    pub owner_kind: OwnerKind,
    /// The owner's row id.
    pub owner_id: i64,
    /// What the document is.
    pub kind: DocumentKind,
    /// The name the client gave.
    pub file_name: String,
    /// The content.
    pub bytes: Vec<u8>,
}

/// Attaches a file to a record the caller may edit (a writable account whose area holds
/// the record; otherwise `NOT_FOUND` as for the record's own mutations). The same key from
/// the same user returns the first document.
#[tracing::instrument(name = "document.upload", skip_all, fields(owner.kind = ?new.owner_kind, owner.id = new.owner_id))]
pub async fn upload(
    db: &DatabaseConnection,
    storage: &Storage,
    ctx: &Ctx,
    new: NewDocument,
    idempotency_key: Option<String>,
) -> Result<document::Model> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let owner = visible_owner(db, ctx, new.owner_kind, new.owner_id)
        .await?
        .ok_or_else(owner_not_found)?;
    let key = idempotency_key.as_deref();
    if let Some(id) = idempotency::replay(db, actor.user_id.into(), key, OPERATION).await? {
        return document::Entity::find_by_id(id)
            .one(db)
            .await?
            .ok_or_else(not_found);
    }
    let ft = judge(&new.bytes)?;
    let file_name = clean_file_name(&new.file_name, ft);
    let sha = sha256_hex(&new.bytes);
    let size = i64::try_from(new.bytes.len()).map_err(AppError::internal)?;
    let result = async {
        let txn = crate::domain::begin_write(db).await?;
        lock_blob(&txn, &sha, size, ft.mime()).await?;
        let stored = storage.put_if_absent(&sha, Bytes::from(new.bytes)).await?;
        let doc = document::ActiveModel {
            owner_type: Set(owner.kind.entity().as_str().to_owned()),
            owner_id: Set(owner.id),
            kind: Set(new.kind.as_str().to_owned()),
            file_name: Set(file_name),
            content_type: Set(ft.mime().to_owned()),
            size_bytes: Set(size),
            sha256: Set(sha.clone()),
            uploaded_at: Set(now()),
            uploaded_by: Set(Some(actor.user_id)),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        if let Some(k) = key {
            idempotency::remember(&txn, actor.user_id.into(), k, OPERATION, doc.id).await?;
        }
        let mut changes = described(&doc);
        changes["bytesStored"] = json!(stored);
        audit::record(&txn, ctx, "uploadDocument", subject(&doc, &owner), changes).await?;
        txn.commit().await?;
        Ok(doc)
    }
    .await;
    idempotency::or_winner(
        db,
        actor.user_id.into(),
        key,
        OPERATION,
        result,
        |id| async move { Ok(document::Entity::find_by_id(id).one(db).await?) },
    )
    .await
}

/// A document and its owner, when the caller may see the owner.
#[tracing::instrument(name = "document.get_with_owner", skip_all, fields(document.id = id.get()))]
pub async fn get_with_owner(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: DocumentId,
) -> Result<Option<(document::Model, Owner)>> {
    ctx.actor()?;
    let Some(doc) = document::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    let Some(kind) = EntityKind::parse(&doc.owner_type).and_then(OwnerKind::parse) else {
        return Ok(None);
    };
    Ok(visible_owner(db, ctx, kind, doc.owner_id)
        .await?
        .map(|o| (doc, o)))
}

/// A document the caller may see.
#[tracing::instrument(name = "document.get", skip_all, fields(document.id = id.get()))]
pub async fn get(
    db: &impl ConnectionTrait,
    ctx: &Ctx,
    id: DocumentId,
) -> Result<Option<document::Model>> {
    Ok(get_with_owner(db, ctx, id).await?.map(|(d, _)| d))
}

/// The documents of a record, oldest first (the caller already sees the record).
#[tracing::instrument(name = "document.of_owner", skip_all, fields(owner.kind = ?kind, owner.id = owner_id))]
pub async fn of_owner(
    db: &impl ConnectionTrait,
    kind: OwnerKind,
    owner_id: i64,
) -> Result<Vec<document::Model>> {
    Ok(document::Entity::find()
        .filter(document::Column::OwnerType.eq(kind.entity().as_str()))
        .filter(document::Column::OwnerId.eq(owner_id))
        .order_by_asc(document::Column::Id)
        .all(db)
        .await?)
}

/// A document for download: `NOT_FOUND` unless the caller may see its owner. The download
/// is written to the audit trail.
#[tracing::instrument(name = "document.open_for_download", skip_all, fields(document.id = id.get()))]
pub async fn open_for_download(
    db: &DatabaseConnection,
    ctx: &Ctx,
    id: DocumentId,
) -> Result<document::Model> {
    let (doc, owner) = get_with_owner(db, ctx, id).await?.ok_or_else(not_found)?;
    audit::record(
        db,
        ctx,
        "downloadDocument",
        subject(&doc, &owner),
        json!({ "sha256": doc.sha256, "fileName": doc.file_name }),
    )
    .await?;
    Ok(doc)
}

/// Removes a document from a record the caller may edit. The bytes go too, unless another
/// document (of any record) refers to the same content.
#[tracing::instrument(name = "document.delete", skip_all, fields(document.id = id.get()))]
pub async fn delete(
    db: &DatabaseConnection,
    storage: &Storage,
    ctx: &Ctx,
    id: DocumentId,
) -> Result<bool> {
    let actor = ctx.actor()?;
    scope::ensure_writer(actor)?;
    let (doc, owner) = get_with_owner(db, ctx, id).await?.ok_or_else(not_found)?;
    let txn = crate::domain::begin_write(db).await?;
    lock_existing_blob(&txn, &doc.sha256).await?;
    let gone = document::Entity::delete_many()
        .filter(document::Column::Id.eq(doc.id))
        .exec(&txn)
        .await?;
    if gone.rows_affected == 0 {
        return Err(not_found());
    }
    let others = document::Entity::find()
        .filter(document::Column::Sha256.eq(doc.sha256.clone()))
        .count(&txn)
        .await?;
    if others == 0 {
        document_blob::Entity::delete_by_id(doc.sha256.clone())
            .exec(&txn)
            .await?;
    }
    let mut changes = described(&doc);
    changes["bytesKept"] = json!(others > 0);
    audit::record(&txn, ctx, "deleteDocument", subject(&doc, &owner), changes).await?;
    if others == 0 {
        // Still inside the transaction that holds the blob's lock: an upload of the same
        // bytes waits, then stores them anew.
        storage.delete(&doc.sha256).await?;
    }
    txn.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_path_and_get_their_real_extension() {
        assert_eq!(
            clean_file_name("../../etc/passwd", FileType::Pdf),
            "passwd.pdf"
        );
        assert_eq!(
            clean_file_name("C:\\scan\\Quyết định 12.PDF", FileType::Pdf),
            "Quyết định 12.PDF"
        );
        assert_eq!(clean_file_name("anh.jpeg", FileType::Jpeg), "anh.jpeg");
        assert_eq!(clean_file_name("setup.exe", FileType::Png), "setup.exe.png");
        assert_eq!(clean_file_name("  \u{7}", FileType::Docx), "document.docx");
    }

    #[test]
    fn content_disposition_cannot_be_broken_out_of() {
        let v = content_disposition("a\"; filename=evil.html\r\nX: y.pdf");
        assert!(!v.contains('\r') && !v.contains('\n'));
        assert_eq!(v.matches('"').count(), 2, "{v}");
        assert!(
            v.starts_with("attachment; filename=\"a__ filename_evil.html"),
            "{v}"
        );
        let v = content_disposition("Biên bản nghiệm thu.pdf");
        assert!(v.contains("filename=\"Bien ban nghiem thu.pdf\""), "{v}");
        assert!(
            v.ends_with("filename*=UTF-8''Bi%C3%AAn%20b%E1%BA%A3n%20nghi%E1%BB%87m%20thu.pdf"),
            "{v}"
        );
    }

    #[test]
    fn hashes_are_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
