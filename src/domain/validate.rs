//! Input checks shared by the domain: each returns `BAD_USER_INPUT` naming the field.

use chrono::Datelike;

use crate::error::{AppError, Msg, Result};

/// A tri-state update of an optional field: leave it, clear it, or set it.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Patch<T> {
    /// Not sent: keep the stored value.
    #[default]
    Keep,
    /// Sent as null: clear it.
    Clear,
    /// Sent with a value.
    Set(T),
}

impl<T> Patch<T> {
    /// The new value given the current one.
    pub fn apply(self, current: Option<T>) -> Option<T> {
        match self {
            Patch::Keep => current,
            Patch::Clear => None,
            Patch::Set(v) => Some(v),
        }
    }

    /// For a required field, where null means "keep".
    pub fn apply_required(self, current: T) -> T {
        match self {
            Patch::Set(v) => v,
            _ => current,
        }
    }
}

/// Trims a required text and checks its length in characters.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::bad_input(
            field,
            Msg::new(
                format!("`{field}` cannot be empty."),
                format!("`{field}` không được để trống."),
            ),
        ));
    }
    check_len(field, v, max)?;
    Ok(v.to_owned())
}

/// Trims an optional text (empty becomes absent) and checks its length.
pub fn optional_text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => {
            check_len(field, v, max)?;
            Ok(Some(v.to_owned()))
        }
    }
}

fn check_len(field: &str, v: &str, max: usize) -> Result<()> {
    if v.chars().count() > max {
        return Err(AppError::bad_input(
            field,
            Msg::new(
                format!("`{field}` is longer than {max} characters."),
                format!("`{field}` dài quá {max} ký tự."),
            ),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::bad_input(
            field,
            Msg::new(
                format!("`{field}` contains control characters."),
                format!("`{field}` chứa ký tự điều khiển."),
            ),
        ));
    }
    Ok(())
}

/// A tax code: 10 digits, or 10 digits, `-` and 3 digits for a branch.
pub fn tax_code(value: Option<String>) -> Result<Option<String>> {
    let Some(v) = optional_text("taxCode", value, 14)? else {
        return Ok(None);
    };
    let (main, branch) = match v.split_once('-') {
        Some((m, b)) => (m, Some(b)),
        None => (v.as_str(), None),
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    if digits(main, 10) && branch.is_none_or(|b| digits(b, 3)) {
        Ok(Some(v))
    } else {
        Err(AppError::bad_input(
            "taxCode",
            Msg::new(
                "A tax code has 10 digits, or 10 digits, '-' and 3 digits for a branch (0101234567-001).",
                "Mã số thuế gồm 10 chữ số, hoặc 10 chữ số, dấu '-' và 3 chữ số cho chi nhánh (0101234567-001).",
            ),
        ))
    }
}

/// An e-mail address.
pub fn email(value: Option<String>) -> Result<Option<String>> {
    let Some(v) = optional_text("email", value, 254)? else {
        return Ok(None);
    };
    if email_address::EmailAddress::parse_with_options(
        &v,
        email_address::Options::default().without_display_text(),
    )
    .is_ok()
        && v.contains('.')
    {
        Ok(Some(v))
    } else {
        Err(AppError::bad_input(
            "email",
            Msg::new(
                "This is not a valid e-mail address.",
                "Địa chỉ thư điện tử không hợp lệ.",
            ),
        ))
    }
}

/// A Vietnamese phone number: `0` or `+84` then 8–10 digits; spaces, dots and dashes allowed.
pub fn phone(value: Option<String>) -> Result<Option<String>> {
    let Some(v) = optional_text("phone", value, 20)? else {
        return Ok(None);
    };
    let compact: String = v
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
        .collect();
    let national = compact
        .strip_prefix("+84")
        .or_else(|| compact.strip_prefix('0'));
    match national {
        Some(rest)
            if (8..=10).contains(&rest.len()) && rest.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Ok(Some(v))
        }
        _ => Err(AppError::bad_input(
            "phone",
            Msg::new(
                "A phone number starts with 0 or +84 followed by 8 to 10 digits.",
                "Số điện thoại bắt đầu bằng 0 hoặc +84, tiếp theo là 8 đến 10 chữ số.",
            ),
        )),
    }
}

/// Coordinates, both or neither, inside Vietnam's territory including its islands.
pub fn coordinates(lat: Option<f64>, lon: Option<f64>) -> Result<()> {
    // Mainland 8.4–23.4°N, 102.1–109.5°E; Hoàng Sa and Trường Sa reach 6.5°N and 117.5°E.
    const LAT: std::ops::RangeInclusive<f64> = 6.0..=23.5;
    const LON: std::ops::RangeInclusive<f64> = 102.0..=118.0;
    match (lat, lon) {
        (None, None) => Ok(()),
        (Some(_), None) | (None, Some(_)) => Err(AppError::bad_input(
            if lat.is_none() {
                "latitude"
            } else {
                "longitude"
            },
            Msg::new(
                "Give both latitude and longitude, or neither.",
                "Cần nhập cả vĩ độ và kinh độ, hoặc bỏ trống cả hai.",
            ),
        )),
        (Some(la), Some(lo)) => {
            if !LAT.contains(&la) {
                return Err(AppError::bad_input(
                    "latitude",
                    Msg::new(
                        "The latitude is outside Vietnam (6.0 to 23.5).",
                        "Vĩ độ nằm ngoài lãnh thổ Việt Nam (6,0 đến 23,5).",
                    ),
                ));
            }
            if !LON.contains(&lo) {
                return Err(AppError::bad_input(
                    "longitude",
                    Msg::new(
                        "The longitude is outside Vietnam (102.0 to 118.0).",
                        "Kinh độ nằm ngoài lãnh thổ Việt Nam (102,0 đến 118,0).",
                    ),
                ));
            }
            Ok(())
        }
    }
}

/// A founding year between 1800 and this year.
pub fn founded_year(value: Option<i32>) -> Result<Option<i32>> {
    let this_year = chrono::Utc::now().year();
    match value {
        Some(y) if !(1800..=this_year).contains(&y) => Err(AppError::bad_input(
            "foundedYear",
            Msg::new(
                format!("The founding year must be between 1800 and {this_year}."),
                format!("Năm thành lập phải từ 1800 đến {this_year}."),
            ),
        )),
        v => Ok(v),
    }
}

/// A count that is zero or more (and sane).
pub fn count(field: &str, value: Option<i32>) -> Result<Option<i32>> {
    match value {
        Some(n) if !(0..=10_000_000).contains(&n) => Err(AppError::bad_input(
            field,
            Msg::new(
                format!("`{field}` must be between 0 and 10,000,000."),
                format!("`{field}` phải từ 0 đến 10.000.000."),
            ),
        )),
        v => Ok(v),
    }
}

/// Refuses a score with more than two decimals (`19.996`): it is never rounded silently.
/// The number is judged by its shortest exact decimal form, so `49.99` (not exactly
/// representable in binary) passes and `49.999` or `49.9900001` do not.
pub fn at_most_two_decimals(field: &str, v: f64) -> Result<()> {
    let text = format!("{v}");
    let decimals = text.split_once('.').map_or(0, |(_, frac)| frac.len());
    if v.is_finite() && decimals <= 2 {
        return Ok(());
    }
    Err(AppError::bad_input(
        field,
        Msg::new(
            format!(
                "`{field}` has at most two decimals (for example 49.99); {text} is not rounded."
            ),
            format!(
                "`{field}` có tối đa hai chữ số thập phân (ví dụ 49,99); {text} không được làm tròn."
            ),
        ),
    ))
}

/// The province with `code` (spaces around it ignored), or `BAD_USER_INPUT` on
/// `provinceCode` naming the code as given.
pub fn province<'r>(
    reference: &'r crate::reference::Reference,
    code: &str,
) -> Result<&'r crate::reference::Province> {
    reference.province(code.trim()).ok_or_else(|| {
        AppError::bad_input(
            "provinceCode",
            Msg::new(
                format!("There is no province with code \"{code}\"."),
                format!("Không có tỉnh mã \"{code}\"."),
            ),
        )
    })
}

/// The commune with `code` (spaces around it ignored), or `BAD_USER_INPUT` on `communeCode`
/// naming the code as given.
pub fn commune<'r>(
    reference: &'r crate::reference::Reference,
    code: &str,
) -> Result<&'r crate::reference::Commune> {
    reference.commune(code.trim()).ok_or_else(|| {
        AppError::bad_input(
            "communeCode",
            Msg::new(
                format!("There is no commune with code \"{code}\"."),
                format!("Không có xã/phường mã \"{code}\"."),
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn tax_codes_follow_the_two_forms() {
        assert_eq!(
            tax_code(s("0101234567")).expect("10 digits"),
            s("0101234567")
        );
        assert!(tax_code(s("0101234567-001")).is_ok());
        assert!(tax_code(s("010123456")).is_err());
        assert!(tax_code(s("0101234567-01")).is_err());
        assert!(tax_code(s("01012345a7")).is_err());
        assert_eq!(tax_code(s("  ")).expect("blank"), None);
    }

    #[test]
    fn phones_and_emails_are_checked() {
        assert!(phone(s("0912 345 678")).is_ok());
        assert!(phone(s("+84 262 3852 123")).is_ok());
        assert!(phone(s("12345")).is_err());
        assert!(email(s("htx.vandi@gmail.com")).is_ok());
        assert!(email(s("not-an-email")).is_err());
    }

    #[test]
    fn coordinates_must_be_in_vietnam_and_paired() {
        assert!(coordinates(Some(12.68), Some(108.05)).is_ok());
        assert!(coordinates(Some(48.85), Some(2.35)).is_err());
        assert!(coordinates(Some(12.0), None).is_err());
    }

    #[test]
    fn scores_have_at_most_two_decimals() {
        for ok in [0.0, 20.0, 49.99, 19.99, 0.01, 35.5, 39.95] {
            assert!(at_most_two_decimals("partA", ok).is_ok(), "{ok}");
        }
        for bad in [19.996, 49.999, 0.001, 12.3456, 49.9900001] {
            let e = at_most_two_decimals("partA", bad).expect_err("refused");
            assert_eq!(e.field.as_deref(), Some("partA"));
        }
    }
}
