//! What a file is, judged from its bytes (never from its name or declared type), and the
//! guard against ZIP bombs for the ZIP-based formats (XLSX, DOCX).

use std::io::Cursor;

use crate::error::{AppError, Msg, Result};

/// The file types the server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileType {
    /// PDF.
    Pdf,
    /// JPEG image.
    Jpeg,
    /// PNG image.
    Png,
    /// WebP image.
    Webp,
    /// Word document (Office Open XML).
    Docx,
    /// Excel workbook (Office Open XML).
    Xlsx,
}

impl FileType {
    /// The MIME type served with the file.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Pdf => "application/pdf",
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Webp => "image/webp",
            FileType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            FileType::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }

    /// The usual file extension.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Pdf => "pdf",
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Webp => "webp",
            FileType::Docx => "docx",
            FileType::Xlsx => "xlsx",
        }
    }
}

/// The largest total a ZIP-based file may expand to (a workbook of 100,000 rows is far
/// smaller); more is treated as a ZIP bomb.
pub const MAX_UNZIPPED_BYTES: u64 = 400 * 1024 * 1024;
/// The largest expansion ratio of one entry (text XML compresses well, but not 200×).
const MAX_RATIO: u64 = 200;

fn bomb() -> AppError {
    AppError::bad_input(
        "file",
        Msg::new(
            "The file expands to far more data than a real document holds (a ZIP bomb?); it was refused.",
            "Tệp giải nén ra quá nhiều dữ liệu so với một tài liệu thật (bom ZIP?); tệp bị từ chối.",
        ),
    )
}

fn bad_zip() -> AppError {
    AppError::bad_input(
        "file",
        Msg::new(
            "The file looks like an Office document but its ZIP structure is damaged.",
            "Tệp có vẻ là tài liệu Office nhưng cấu trúc ZIP bị hỏng.",
        ),
    )
}

/// Whether the bytes start like a ZIP archive.
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// The entry names of a ZIP archive, after checking that it does not expand beyond
/// [`MAX_UNZIPPED_BYTES`] in total nor any entry by more than 200 times its compressed size.
pub fn zip_entries(bytes: &[u8]) -> Result<Vec<String>> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| bad_zip())?;
    let mut total: u64 = 0;
    let mut names = Vec::with_capacity(archive.len());
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| bad_zip())?;
        let size = entry.size();
        total = total.saturating_add(size);
        if total > MAX_UNZIPPED_BYTES
            || (size > 1024 * 1024 && size / entry.compressed_size().max(1) > MAX_RATIO)
        {
            return Err(bomb());
        }
        names.push(entry.name().map_err(|_| bad_zip())?.into_owned());
    }
    Ok(names)
}

/// The type of a file from its bytes, or `None` when it is none of the accepted ones.
pub fn sniff(bytes: &[u8]) -> Result<Option<FileType>> {
    if bytes.starts_with(b"%PDF-") {
        return Ok(Some(FileType::Pdf));
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(Some(FileType::Jpeg));
    }
    if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(Some(FileType::Png));
    }
    if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(Some(FileType::Webp));
    }
    if is_zip(bytes) {
        // DOCX and XLSX are both ZIP archives: their content tells them apart.
        let names = zip_entries(bytes)?;
        let has = |n: &str| names.iter().any(|e| e == n);
        if has("[Content_Types].xml") {
            if has("xl/workbook.xml") {
                return Ok(Some(FileType::Xlsx));
            }
            if has("word/document.xml") {
                return Ok(Some(FileType::Docx));
            }
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(sniff(b"%PDF-1.7\n...").expect("sniff"), Some(FileType::Pdf));
        assert_eq!(
            sniff(b"\x89PNG\r\n\x1a\nxxxx").expect("sniff"),
            Some(FileType::Png)
        );
        assert_eq!(
            sniff(b"RIFF\0\0\0\0WEBPVP8 ").expect("sniff"),
            Some(FileType::Webp)
        );
        assert_eq!(sniff(b"MZ\x90\0 an exe").expect("sniff"), None);
        assert_eq!(sniff(b"hello, world").expect("sniff"), None);
    }
}
