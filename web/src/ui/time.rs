//! The browser's clock and calendar, in the person's own time zone and locale: the core takes
//! time as an argument and keeps dates as calendar days, so local time is read and every date on
//! screen is written here, by [`day`], the one date format.

use std::cell::OnceCell;

use js_sys::{Array, Intl, Object, Reflect};
use tandem_core::{Timestamp, model::Date};
use wasm_bindgen::JsValue;

/// Now, in milliseconds since the Unix epoch.
pub fn now() -> Timestamp {
    Timestamp(js_sys::Date::now() as i64)
}

/// Today's date where the person is.
pub fn today() -> Date {
    local_date(now())
}

/// The local calendar day of a moment.
pub fn local_date(at: Timestamp) -> Date {
    let d = js_sys::Date::new(&(at.0 as f64).into());
    // getMonth is 0-based; a valid Date always yields a valid calendar day.
    Date::new(d.get_full_year() as i32, d.get_month() as u8 + 1, d.get_date() as u8).unwrap_or(Date {
        year: 1970,
        month: 1,
        day: 1,
    })
}

/// "09:41": the local time of day, 24-hour.
pub fn clock(at: Timestamp) -> String {
    let d = js_sys::Date::new(&(at.0 as f64).into());
    format!("{:02}:{:02}", d.get_hours(), d.get_minutes())
}

/// "11/22/2026 09:41" (in en-US): the local day of a moment, as [`day`] writes it, and its time.
pub fn date_time(at: Timestamp) -> String {
    format!("{} {}", day(local_date(at)), clock(at))
}

/// A calendar day as the reader's locale writes it, in the numeric form the browser's own date
/// field shows: "11/22/2026" in en-US, "22/11/2026" in en-GB, "22.11.2026" in de. Titles, lists and
/// the date field then agree, whatever the locale.
pub fn day(date: Date) -> String {
    thread_local! {
        // Made once: building a formatter resolves the locale, and lists format many dates.
        static READER: OnceCell<Intl::DateTimeFormat> = const { OnceCell::new() };
    }
    READER.with(|f| format_day(f.get_or_init(|| day_format(None)), date))
}

/// [`day`] in a given locale (a BCP 47 tag such as "en-GB"), for the tests that pin the formats.
pub fn day_in(date: Date, locale: &str) -> String {
    format_day(&day_format(Some(locale)), date)
}

/// A formatter for calendar days: numeric, four-digit year, in UTC, since a [`Date`] is a day
/// and not a moment (formatted in the local zone, midnight UTC is the day before in America).
fn day_format(locale: Option<&str>) -> Intl::DateTimeFormat {
    let locales = Array::new();
    if let Some(locale) = locale {
        locales.push(&JsValue::from_str(locale));
    }
    let options = Object::new();
    for (key, value) in [("year", "numeric"), ("month", "2-digit"), ("day", "2-digit"), ("timeZone", "UTC")] {
        // Setting a property on a fresh plain object cannot fail.
        let _ = Reflect::set(&options, &key.into(), &value.into());
    }
    Intl::DateTimeFormat::new(&locales, &options)
}

fn format_day(format: &Intl::DateTimeFormat, date: Date) -> String {
    let at = js_sys::Date::new(&JsValue::from_f64(0.0));
    at.set_utc_full_year_with_month_date(
        date.year.max(0) as u32,
        i32::from(date.month) - 1,
        i32::from(date.day),
    );
    format
        .format()
        .call1(&JsValue::NULL, &at)
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| date.to_string())
}

#[cfg(test)]
mod tests {
    use tandem_core::model::Date;
    use wasm_bindgen_test::wasm_bindgen_test;

    use super::{date_time, day, day_in, local_date};

    fn nov_22() -> Date {
        Date::new(2026, 11, 22).unwrap()
    }

    #[wasm_bindgen_test]
    fn a_day_is_written_the_way_the_readers_locale_writes_it() {
        assert_eq!(day_in(nov_22(), "en-US"), "11/22/2026");
        assert_eq!(day_in(nov_22(), "en-GB"), "22/11/2026");
        assert_eq!(day_in(nov_22(), "de-DE"), "22.11.2026");
        assert_eq!(
            day_in(Date::new(2026, 1, 5).unwrap(), "en-US"),
            "01/05/2026",
            "two digits, as the date field"
        );
    }

    #[wasm_bindgen_test]
    fn a_day_is_the_same_day_in_every_time_zone() {
        // Formatted as a moment in the local zone, the first of a month would read as the last
        // day of the month before anywhere west of Greenwich.
        assert_eq!(day_in(Date::new(2026, 12, 1).unwrap(), "en-US"), "12/01/2026");
        assert_eq!(day_in(Date::new(2027, 1, 1).unwrap(), "en-GB"), "01/01/2027");
    }

    #[wasm_bindgen_test]
    fn without_a_locale_a_day_is_written_in_the_browsers_own() {
        let browser = web_sys::window().unwrap().navigator().language().unwrap();
        assert_eq!(day(nov_22()), day_in(nov_22(), &browser));
        assert!(!day(nov_22()).contains("2026-11-22"), "never the ISO form the date field does not show");
    }

    #[wasm_bindgen_test]
    fn a_moment_is_written_as_its_local_day_and_time() {
        let at = tandem_core::Timestamp(1_795_340_000_000);
        assert_eq!(date_time(at), format!("{} {}", day(local_date(at)), super::clock(at)));
    }
}
